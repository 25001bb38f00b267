package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.gitops.GitOpsRemote;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Ingest against a real GitOps repository that goes away: whether an app registers a repository cannot be known,
 * so no delivery of an unknown repository is answered "ignored" (it would be lost), not even right after a failed
 * refresh. Runs in the monitor role, so nothing is published.
 */
class WebhookIngestWhileGitOpsIsDownTest {

    @TempDir
    Path tmp;

    private static GitChange push(String repository) {
        String body = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("example/demo", repository);
        return ((Normalised.Change) GitHubPayloads.normalise("push",
                Json.parse(body.getBytes(StandardCharsets.UTF_8)))).change();
    }

    @Test
    void everyDeliveryOfAnUnknownRepositoryIsRefusedWhileTheRemoteIsDown() throws Exception {
        Path remote = tmp.resolve("remote.git");
        git(tmp, "init", "--bare", "-b", "main", remote.toString());
        Path clone = tmp.resolve("clone");
        git(tmp, "clone", remote.toString(), clone.toString());
        Files.createDirectories(clone.resolve("apps/demo"));
        Files.writeString(clone.resolve("apps/demo/app.yaml"), """
                source: {repository: github.com/example/demo}
                image: {repository: registry.example.org/example/demo}
                environments:
                  staging: {branch: main}
                """);
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard demo");
        git(clone, "push", "-q", "origin", "HEAD:main");
        RelayConfig config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url", remote.toUri().toString(),
                "relay.roles", "monitor");
        GitOpsRepository repository = new GitOpsRepository(config, new GitOpsRemote(config),
                new SimpleMeterRegistry(), OpenTelemetry.noop().getTracer("test"));
        AppRegistry registry = new AppRegistry(new SimpleMeterRegistry(), null, new Roles(config));
        RegistrySync sync = new RegistrySync(repository, null, registry);
        sync.refresh();
        assertThat(registry.app("demo")).isPresent();
        WebhookIngest ingest = new WebhookIngest(registry, sync, null, config);

        Files.move(remote, tmp.resolve("gone.git"));
        // Past the on-demand rate limit, so that the first delivery asks for a refresh at all.
        Thread.sleep(RegistrySync.MIN_ON_DEMAND_INTERVAL.toMillis() + 100);

        for (String unknown : new String[] { "example/newapp", "example/other", "example/third" }) {
            assertThatThrownBy(() -> ingest.accept("github", unknown, push(unknown)))
                    .isInstanceOfSatisfying(RelayException.class, e -> assertThat(e.reason())
                            .isEqualTo(RelayException.Reason.GIT_UNAVAILABLE));
        }
    }
}
