package org.gitopsrelay.gitops;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.TransportCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.gitopsrelay.config.RelayConfig;
import org.jboss.logging.Logger;

/**
 * Where the GitOps repository lives and how to reach it. With no {@code relay.gitops.url}, a bare repository in
 * {@code <data-dir>/gitops.git} is created (and later seeded with the demo app), so the service runs with nothing
 * else installed.
 */
@ApplicationScoped
public class GitOpsRemote {

    private static final Logger LOG = Logger.getLogger(GitOpsRemote.class);

    private final RelayConfig config;
    private volatile String url;
    private volatile SshdSessionFactory sshFactory;

    @Inject
    public GitOpsRemote(RelayConfig config) {
        this.config = config;
    }

    /** True when the service owns the repository in its data dir (and seeds it). */
    public boolean isLocal() {
        return config.gitops().url().isEmpty();
    }

    public String url() {
        String resolved = url;
        if (resolved == null) {
            synchronized (this) {
                if (url == null) {
                    url = config.gitops().url().orElseGet(this::createLocal);
                }
                resolved = url;
            }
        }
        return resolved;
    }

    /** The URL without any user information, fit for logs and errors. */
    public String displayUrl() {
        String value = url();
        try {
            URI uri = URI.create(value);
            if (uri.getUserInfo() != null) {
                return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null)
                        .toString();
            }
        } catch (Exception e) {
            // Not a URI (scp-like SSH form): it carries no password.
        }
        return value;
    }

    /** Sets credentials and transport on a fetch, push or ls-remote command. */
    public <C extends TransportCommand<C, ?>> C configure(C command) {
        config.gitops().token().ifPresent(token -> command
                .setCredentialsProvider(new UsernamePasswordCredentialsProvider(config.gitops().username(), token)));
        config.gitops().sshKey().ifPresent(key -> command.setTransportConfigCallback(transport -> {
            if (transport instanceof SshTransport ssh) {
                ssh.setSshSessionFactory(sshFactory(key));
            }
        }));
        command.setTimeout((int) Math.max(1, config.gitops().timeout().toSeconds()));
        return command;
    }

    private SshdSessionFactory sshFactory(Path key) {
        SshdSessionFactory factory = sshFactory;
        if (factory == null) {
            synchronized (this) {
                if (sshFactory == null) {
                    File home = new File(System.getProperty("user.home"));
                    SshdSessionFactoryBuilder builder = new SshdSessionFactoryBuilder()
                            .setHomeDirectory(home)
                            .setSshDirectory(new File(home, ".ssh"))
                            .setDefaultIdentities(dir -> List.of(key));
                    config.gitops().sshKnownHosts()
                            .ifPresent(knownHosts -> builder.setDefaultKnownHostsFiles(dir -> List.of(knownHosts)));
                    sshFactory = builder.build(null);
                }
                factory = sshFactory;
            }
        }
        return factory;
    }

    @PreDestroy
    void close() {
        SshdSessionFactory factory = sshFactory;
        if (factory != null) {
            factory.close();
        }
    }

    /** The local GitOps repository's folder, when the service owns it. */
    Optional<Path> localDir() {
        return isLocal() ? Optional.of(config.dataDir().resolve("gitops.git").toAbsolutePath().normalize())
                : Optional.empty();
    }

    private String createLocal() {
        Path dir = localDir().orElseThrow();
        if (!Files.exists(dir.resolve("HEAD"))) {
            try {
                Files.createDirectories(dir);
                Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch(config.gitops().branch())
                        .call().close();
                LOG.infof("Created the local GitOps repository %s", dir);
            } catch (IOException | GitAPIException e) {
                throw new IllegalStateException("Cannot create the local GitOps repository " + dir, e);
            }
        } else {
            // Pushes to a local repository run inside this process: one killed mid-push left its lock behind. A
            // person's push under way now holds its lock for milliseconds, never since before this process started.
            StaleLocks.clear(dir, FileTime.fromMillis(ManagementFactory.getRuntimeMXBean().getStartTime()));
        }
        // Pushes into it are received in this process: JGit would pack it then, in the middle of a burst.
        try (Repository repository = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
            Housekeeping.takeOver(repository);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot open the local GitOps repository " + dir + ": " + e.getMessage(),
                    e);
        }
        return dir.toUri().toString();
    }
}
