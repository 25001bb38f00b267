package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.containsString;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.OutcomeEvent.PreviewCreated;
import org.gitopsrelay.event.OutcomeEvent.PreviewRefused;
import org.gitopsrelay.event.OutcomeEvent.PreviewUpdated;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.EventsDoc;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * A namespace has one owner across all apps: an environment or a live preview. App {@code own} previews its branches
 * {@code pr-*}: branch {@code pr-5} runs in {@code own-br-pr-5}, the namespace app {@code own-br}'s pull request #5
 * would get. Real broker, real Git, real Kustomize, in a data dir of its own.
 */
@QuarkusTest
@QuarkusTestResource(value = NamespaceOwnershipTest.Environment.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamespaceOwnershipTest {

    /** The test's own data dir; the registry is re-read only when a test or an event asks, so that it can be stale. */
    public static class Environment extends RelayTestEnvironment {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("relay.gitops.refresh-interval", "PT1H");
            return config;
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    @Inject
    AppRegistry registry;

    private TopicReader deployments;

    @BeforeAll
    void setUp() throws Exception {
        deployments = new TopicReader(Topics.DEPLOYMENTS);
        TestApps.onboard(config.dataDir(), registrySync, "own", """
                source: {repository: github.com/example/own}
                image: {repository: registry.example.org/example/own}
                environments: {}
                previews: {branches: "pr-*"}
                """);
        TestApps.onboard(config.dataDir(), registrySync, "own-br", """
                source: {repository: github.com/example/own-br}
                image: {repository: registry.example.org/example/own-br}
                environments: {}
                previews: {pullRequests: true}
                """);
    }

    @AfterAll
    void close() {
        EventsDoc.checkAgainstRealRecords(deployments.drain(Duration.ZERO));
        deployments.close();
    }

    private <T extends OutcomeEvent> T await(Class<T> type, String triggerEvent) {
        return deployments.awaitOutcomeData(type, triggerEvent, WAIT);
    }

    /** A push of app {@code own}'s branch: its preview. */
    private static String pushOwnBranch(String branch) {
        String body = Fixtures.text(Fixtures.push("github-push-feature-branch", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("refs/heads/feature/login", "refs/heads/" + branch).replace("example/demo", "example/own");
        return github("push", body).statusCode(202).extract().path("events[0]");
    }

    /** The opening of app {@code own-br}'s pull request. */
    private static String openOwnBrPullRequest(int number) {
        String body = Fixtures.pullRequest("opened", number, "feature/" + number, Fixtures.sha(), false,
                Fixtures.nextPushTime()).replace("example/demo", "example/own-br");
        return github("pull_request", body).statusCode(202).extract().path("events[0]");
    }

    private String previewsOf(String app) {
        return git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/" + app);
    }

    @Test
    void aPreviewWhoseNamespaceIsAnotherAppsLivePreviewIsRefusedWhileTheOwnerKeepsUpdating() {
        PreviewCreated owner = await(PreviewCreated.class, pushOwnBranch("pr-5"));
        assertThat(owner.preview().namespace()).isEqualTo("own-br-pr-5");

        PreviewRefused refused = await(PreviewRefused.class, openOwnBrPullRequest(5));

        assertThat(refused.reason()).isEqualTo("Preview pr-5 of own-br would run in namespace own-br-pr-5, which"
                + " belongs to preview br-pr-5 of app own");
        assertThat(previewsOf("own-br")).doesNotContain("previews/");
        PreviewUpdated updated = await(PreviewUpdated.class, pushOwnBranch("pr-5"));
        assertThat(updated.preview().namespace()).isEqualTo("own-br-pr-5");
    }

    @Test
    void aPreviewIsRefusedInTheNamespaceOfAnEnvironmentCommittedBeforeTheRegistryReadIt() throws Exception {
        Path clone = TestApps.freshClone(config.dataDir());
        Files.createDirectories(clone.resolve("apps/own-br-pr"));
        Files.writeString(clone.resolve("apps/own-br-pr/app.yaml"), """
                source: {repository: github.com/example/own-br-pr}
                image: {repository: registry.example.org/example/own-br-pr}
                environments:
                  "9": {branch: main}
                """);
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard own-br-pr, whose environment 9 runs in own-br-pr-9");
        TestApps.push(clone);

        // No refresh: the registry has not read that commit; the preview's own commit is planned on it.
        PreviewRefused refused = await(PreviewRefused.class, openOwnBrPullRequest(9));

        assertThat(refused.reason()).isEqualTo("Preview pr-9 of own-br would run in namespace own-br-pr-9, which"
                + " belongs to environment 9 of app own-br-pr");
        assertThat(previewsOf("own-br")).doesNotContain("previews/pr-9/");
    }

    @Test
    void anAppAddedOverALivePreviewsNamespaceIsLeftOutAndReportedWhileTheOwnerKeepsWorking() throws Exception {
        await(PreviewCreated.class, pushOwnBranch("pr-x-7"));

        TestApps.onboard(config.dataDir(), registrySync, "own-br-pr-x", """
                source: {repository: github.com/example/own-br-pr-x}
                image: {repository: registry.example.org/example/own-br-pr-x}
                environments:
                  "7": {branch: main}
                """);

        String problem = "apps/own-br-pr-x/app.yaml: environment 7 would run in namespace own-br-pr-x-7, which"
                + " belongs to preview br-pr-x-7 of app own";
        assertThat(registry.app("own-br-pr-x")).isEmpty();
        assertThat(registry.invalidApps()).containsEntry("own-br-pr-x", problem);
        RelayEvent reported = EventCodec.decode(deployments.await(record -> "own-br-pr-x".equals(record.key())
                && EventCodec.decode(record.value()).type().equals(EventTypes.APP_INVALID), WAIT)
                .value());
        assertThat(((OutcomeEvent.AppInvalid) EventCodec.outcome(reported).orElseThrow()).problems()).isEqualTo(problem);
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(containsString("relay_apps_invalid{app=\"own-br-pr-x\"} 1.0"));
        assertThat(registry.app("own")).isPresent();
        assertThat(await(PreviewUpdated.class, pushOwnBranch("pr-x-7")).preview().namespace())
                .isEqualTo("own-br-pr-x-7");
    }
}
