package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.testing.GitHttpServer;
import org.gitopsrelay.testing.GitSshServer;
import org.gitopsrelay.testing.Planners;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/** The GitOps remote over HTTP with a token and over SSH with a key, against real Git servers on 127.0.0.1. */
class GitOpsRemoteTransportTest {

    private static final String TOKEN = "glpat-7sEcReT-t0ken";

    @TempDir
    Path tmp;

    private Path root;

    @BeforeEach
    void createRemote() throws Exception {
        root = Files.createDirectories(tmp.resolve("srv"));
        Path remote = root.resolve("gitops.git");
        git(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
        Path seed = tmp.resolve("seed");
        git(tmp, "clone", "-q", remote.toString(), seed.toString());
        Files.writeString(seed.resolve("README.md"), "GitOps\n");
        git(seed, "add", "-A");
        git(seed, "commit", "-qm", "seed");
        git(seed, "push", "-q", "origin", "HEAD:main");
    }

    private CommitOutcome applyChange(RelayConfig config) {
        GitOpsRepository repository = new GitOpsRepository(config, new GitOpsRemote(config), new SimpleMeterRegistry(),
                OpenTelemetry.noop().getTracer("test"));
        try {
            return Planners.apply(repository, snapshot -> Optional.of(new PlannedCommit(
                    new TreeEdit().write("apps/demo/envs/staging/kustomization.yaml", "namespace: demo-staging\n"),
                    "Deploy over the network", List.of("event-9"))));
        } finally {
            repository.close();
        }
    }

    @Test
    void pushesOverHttpWithAToken() throws Exception {
        try (GitHttpServer server = new GitHttpServer(root, "x-access-token", TOKEN)) {
            CommitOutcome outcome = applyChange(TestConfig.relay(tmp.resolve("data"),
                    "relay.gitops.url", server.url("gitops.git"), "relay.gitops.token", TOKEN));

            assertThat(git(root.resolve("gitops.git"), "log", "-1", "--format=%H %s", "main"))
                    .isEqualTo(outcome.commit() + " Deploy over the network\n");
        }
    }

    @Test
    void aWrongTokenIsAnErrorThatNeverShowsTheToken() throws Exception {
        try (GitHttpServer server = new GitHttpServer(root, "x-access-token", TOKEN)) {
            RelayConfig config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url",
                    server.url("gitops.git").replace("http://", "http://x-access-token:wrong-token@"),
                    "relay.gitops.token", "wrong-token");

            assertThatThrownBy(() -> applyChange(config)).isInstanceOfSatisfying(RelayException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.GIT_UNAVAILABLE);
                assertThat(e.getMessage()).contains("Cannot").doesNotContain("wrong-token").doesNotContain(TOKEN);
            });
        }
    }

    @Test
    void pushesOverSshWithAKey() throws Exception {
        Path key = tmp.resolve("id_ecdsa");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        assertThat(keygen.waitFor()).isZero();
        try (GitSshServer server = new GitSshServer(root, Path.of(key + ".pub"), tmp.resolve("host.ser"))) {
            Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), server.knownHostsLine() + "\n");

            CommitOutcome outcome = applyChange(TestConfig.relay(tmp.resolve("data"),
                    "relay.gitops.url", server.url("gitops.git"), "relay.gitops.ssh-key", key.toString(),
                    "relay.gitops.ssh-known-hosts", knownHosts.toString()));

            assertThat(git(root.resolve("gitops.git"), "rev-parse", "main").trim()).isEqualTo(outcome.commit());
        }
    }

    @Test
    void anSshServerWhoseHostKeyIsUnknownIsRefused() throws Exception {
        Path key = tmp.resolve("id_ecdsa");
        new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key.toString()).start()
                .waitFor();
        try (GitSshServer server = new GitSshServer(root, Path.of(key + ".pub"), tmp.resolve("host.ser"))) {
            Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), "");
            RelayConfig config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url", server.url("gitops.git"),
                    "relay.gitops.ssh-key", key.toString(), "relay.gitops.ssh-known-hosts", knownHosts.toString());

            assertThatThrownBy(() -> applyChange(config)).isInstanceOfSatisfying(RelayException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.GIT_UNAVAILABLE));
            assertThat(git(root.resolve("gitops.git"), "log", "--format=%s", "main")).isEqualTo("seed\n");
        }
    }
}
