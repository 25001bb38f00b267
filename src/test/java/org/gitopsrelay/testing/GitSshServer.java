package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

/**
 * A Git server over SSH on 127.0.0.1 (Apache MINA sshd), accepting one public key and running git's own
 * upload-pack and receive-pack for the repositories below its root, as a Git host does.
 */
public final class GitSshServer implements AutoCloseable {

    private final SshServer server;
    private final Path root;

    public GitSshServer(Path root, Path authorizedPublicKey, Path hostKeyFile) throws Exception {
        this.root = root;
        PublicKey allowed = PublicKeyEntry.parsePublicKeyEntry(Files.readString(authorizedPublicKey).trim())
                .resolvePublicKey(null, null, null);
        server = SshServer.setUpDefaultServer();
        server.setHost(InetAddress.getLoopbackAddress().getHostAddress());
        server.setPort(0);
        server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(hostKeyFile));
        server.setPublickeyAuthenticator((user, key, session) -> "git".equals(user) && KeyUtils.compareKeys(allowed, key));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setCommandFactory((channel, command) -> new GitCommand(command));
        server.start();
    }

    public int port() {
        return server.getPort();
    }

    public String url(String repository) {
        return "ssh://git@127.0.0.1:" + port() + "/" + repository;
    }

    /** The host key as a known_hosts line for this server. */
    public String knownHostsLine() throws IOException, java.security.GeneralSecurityException {
        PublicKey key = server.getKeyPairProvider().loadKeys(null).iterator().next().getPublic();
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(key);
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    /** {@code git-upload-pack '/repo.git'} or {@code git-receive-pack '/repo.git'}, run as git itself would. */
    private final class GitCommand implements Command {
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        GitCommand(String command) {
            this.command = command;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            String[] parts = command.split(" ", 2);
            if (parts.length != 2 || !List.of("git-upload-pack", "git-receive-pack").contains(parts[0])) {
                err.write(("unsupported command: " + command + "\n").getBytes());
                err.flush();
                exit.onExit(1);
                return;
            }
            String repository = parts[1].replace("'", "").replaceAll("^/+", "");
            Path dir = root.resolve(repository).normalize();
            if (!dir.startsWith(root)) {
                exit.onExit(1);
                return;
            }
            process = new ProcessBuilder("git", parts[0].substring(4), dir.toString()).start();
            Thread pumpIn = pump(in, process.getOutputStream(), true);
            Thread pumpOut = pump(process.getInputStream(), out, false);
            Thread pumpErr = pump(process.getErrorStream(), err, false);
            Thread waiter = new Thread(() -> {
                try {
                    int code = process.waitFor();
                    pumpOut.join(TimeUnit.SECONDS.toMillis(10));
                    pumpErr.join(TimeUnit.SECONDS.toMillis(10));
                    pumpIn.interrupt();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.setDaemon(true);
            waiter.start();
        }

        private Thread pump(InputStream from, OutputStream to, boolean closeTarget) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int n;
                    while ((n = from.read(buffer)) >= 0) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException e) {
                    // The other side went away; the exit callback reports how the command ended.
                } finally {
                    if (closeTarget) {
                        try {
                            to.close();
                        } catch (IOException e) {
                            // Already closed.
                        }
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }
    }
}
