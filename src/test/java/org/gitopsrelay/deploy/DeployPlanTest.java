package org.gitopsrelay.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.AppSpecParser;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.deploy.DeployPushToEnvironment.Decision;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.gitops.GitOpsRemote;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.render.KustomizeRenderer;
import org.gitopsrelay.render.OverlayCheck;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * What deploying a push decides, on a snapshot of a real repository, with no broker, no renderer and nothing
 * committed: the planner is a function of the snapshot, so each decision is tested on its own.
 */
class DeployPlanTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final String DEPLOYED = "a".repeat(40);

    @TempDir
    Path tmp;

    private AppSpec app;
    private Path clone;
    private GitOpsRepository repository;
    private DeployPushToEnvironment deploy;
    private SimpleMeterRegistry renders;
    private SimpleMeterRegistry checks;

    @BeforeEach
    void setUp() throws Exception {
        Path remote = tmp.resolve("remote.git");
        git(tmp, "init", "--bare", "-b", "main", remote.toString());
        clone = tmp.resolve("clone");
        git(tmp, "clone", remote.toString(), clone.toString());
        RelayConfig config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url", remote.toUri().toString());
        repository = new GitOpsRepository(config, new GitOpsRemote(config), new SimpleMeterRegistry(),
                OpenTelemetry.noop().getTracer("test"));
        renders = new SimpleMeterRegistry();
        checks = new SimpleMeterRegistry();
        deploy = deployer(config);
        app = AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/example/shop}
                environments:
                  staging: {branch: main}
                """);
    }

    /** Plans with the real Kustomize; it never publishes (that is the handler's, after the push). */
    private DeployPushToEnvironment deployer(RelayConfig settings) {
        return new DeployPushToEnvironment(repository,
                new OverlayCheck(new KustomizeRenderer(settings, renders), settings, checks), settings,
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** The staging overlay as a deployment of {@code DEPLOYED}, pushed at {@code pushedAt} by event {@code event}. */
    private Snapshot deployed(Instant pushedAt, String event) throws Exception {
        Path overlay = Files.createDirectories(clone.resolve("apps/shop/envs/staging"));
        Files.writeString(overlay.resolve("kustomization.yaml"), KustomizationFile.parse("resources: []\n")
                .namespace("shop-staging").image("app-image", "registry.example.org/example/shop", DEPLOYED)
                .annotation("source-commit", DEPLOYED).annotation("source-time", pushedAt.toString())
                .annotation("event", event).toYaml());
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Deploy");
        git(clone, "push", "-q", "origin", "HEAD:main");
        return repository.fetch();
    }

    private static GitChange.Push push(String sha, Instant pushedAt) {
        return new GitChange.Push(SourceRepo.parse("github.com/example/shop"), GitChange.RefKind.BRANCH, "main",
                "b".repeat(40), sha, sha, 1, "alice", pushedAt, pushedAt, false, false, false);
    }

    private static RelayEvent event(String id) {
        return RelayEvent.of(id, "/webhooks/github", EventTypes.GIT_PUSH, "shop", NOW,
                EventCodec.JSON.createObjectNode());
    }

    private Plan<Decision> plan(Snapshot snapshot, String eventId, GitChange.Push push) {
        return deploy.plan(snapshot, event(eventId), app, app.environments().get(0), push, push.headCommit(), List.of(),
                java.util.Set.of());
    }

    private long kustomizeRuns() {
        return renders.find(RelayMetrics.RENDER).timers().stream().mapToLong(io.micrometer.core.instrument.Timer::count)
                .sum();
    }

    private double reused() {
        return checks.counter(RelayMetrics.RENDERS_REUSED).count();
    }

    @Test
    void aPushWhoseAppFolderDiffersFromAnAlreadyRenderedOneOnlyByTheTagIsNotRenderedAgain() throws Exception {
        assertThat(plan(deployed(NOW.minusSeconds(60), "first"), "e1", push("c".repeat(40), NOW)).decision())
                .isEqualTo(Decision.DEPLOY);
        assertThat(kustomizeRuns()).isEqualTo(1);

        // The next deployment finds the overlay as a deployment left it: another tag, other annotations.
        Plan<Decision> next = plan(deployed(NOW.minusSeconds(30), "second"), "e2", push("d".repeat(40), NOW));

        assertThat(next.decision()).isEqualTo(Decision.DEPLOY);
        assertThat(next.commit()).hasValueSatisfying(commit -> assertThat(new String(
                commit.edit().writes().get("apps/shop/envs/staging/kustomization.yaml"))).contains("d".repeat(40)));
        assertThat(kustomizeRuns()).isEqualTo(1);
        assertThat(reused()).isEqualTo(1);
    }

    @Test
    void aChangeBesideTheTagIsRenderedAgainAndItsFailureCaught() throws Exception {
        plan(deployed(NOW.minusSeconds(60), "first"), "e1", push("c".repeat(40), NOW));
        Snapshot snapshot = deployed(NOW.minusSeconds(30), "second");
        // Someone adds a resource the overlay cannot find.
        Path overlay = clone.resolve("apps/shop/envs/staging/kustomization.yaml");
        KustomizationFile broken = KustomizationFile.parse(Files.readString(overlay));
        broken.tree().putArray("resources").add("missing.yaml");
        Files.writeString(overlay, broken.toYaml());
        git(clone, "commit", "-qam", "Add a resource");
        git(clone, "push", "-q", "origin", "HEAD:main");
        Snapshot changed = repository.fetch();
        assertThat(changed.commit()).isNotEqualTo(snapshot.commit());

        assertThatThrownBy(() -> plan(changed, "e3", push("d".repeat(40), NOW)))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.RENDER_FAILED));
        assertThat(kustomizeRuns()).isEqualTo(2);
        assertThat(reused()).isZero();
    }

    /** Commits the files (path below apps/shop, content) as a person would. */
    private Snapshot committed(String... pathsAndContents) throws Exception {
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            Path file = clone.resolve("apps/shop/" + pathsAndContents[i]);
            Files.createDirectories(file.getParent());
            Files.writeString(file, pathsAndContents[i + 1]);
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "By hand");
        git(clone, "push", "-q", "origin", "HEAD:main");
        return repository.fetch();
    }

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: shop}
            spec:
              selector: {matchLabels: {app: shop}}
              template:
                metadata: {labels: {app: shop}}
                spec:
                  containers:
                  - {name: shop, image: app-image}
            """;

    private static String overlay(String tag, String event, String extra) {
        return KustomizationFile.parse("resources: [deployment.yaml]\n" + extra).namespace("shop-staging")
                .image("app-image", "registry.example.org/example/shop", tag).annotation("event", event).toYaml();
    }

    @Test
    void anOverlayWhoseReplacementsReadTheTagIsRenderedForEveryTag() throws Exception {
        // The tag's third dash-separated part goes into a ConfigMap: "2.0-rc-2" has one, "2.0" has none.
        String replacement = """
                replacements:
                - source:
                    kind: Deployment
                    name: shop
                    fieldPath: spec.template.spec.containers.[name=shop].image
                    options: {delimiter: "-", index: 2}
                  targets:
                  - select: {kind: ConfigMap, name: version}
                    fieldPaths: [data.release]
                """;
        String configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: version}\ndata: {release: none}\n";
        Snapshot first = committed("envs/staging/deployment.yaml", DEPLOYMENT + "---\n" + configMap,
                "envs/staging/kustomization.yaml", overlay("2.0-rc-1", "first", replacement));
        assertThat(deploy.plan(first, event("e1"), app, app.environments().get(0), push("c".repeat(40), NOW),
                "2.0-rc-2", List.of(), java.util.Set.of()).decision()).isEqualTo(Decision.DEPLOY);

        assertThatThrownBy(() -> deploy.plan(first, event("e2"), app, app.environments().get(0),
                push("d".repeat(40), NOW), "2.0", List.of(), java.util.Set.of()))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(RelayException.Reason.RENDER_FAILED));
        assertThat(kustomizeRuns()).isEqualTo(2);
        assertThat(reused()).isZero();
    }

    @Test
    void anOutputThatALongerTagCouldPushPastTheCapIsRenderedForEveryTag() throws Exception {
        deploy = deployer(TestConfig.relay(tmp.resolve("data"), "relay.gitops.url",
                tmp.resolve("remote.git").toUri().toString(), "relay.render.max-output-bytes", "400"));
        Snapshot snapshot = committed("envs/staging/deployment.yaml", DEPLOYMENT, "envs/staging/kustomization.yaml",
                overlay("v1", "first", ""));

        plan(snapshot, "e1", push("c".repeat(40), NOW));
        plan(snapshot, "e2", push("d".repeat(40), NOW));

        assertThat(kustomizeRuns()).isEqualTo(2);
        assertThat(reused()).isZero();
    }

    @Test
    void deployingAnotherEnvironmentOfTheAppDoesNotMakeTheNextCheckLookNew() throws Exception {
        app = AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/example/shop}
                environments:
                  staging: {branch: main}
                  dev: {branch: main}
                """);
        Snapshot before = committed("envs/staging/deployment.yaml", DEPLOYMENT, "envs/staging/kustomization.yaml",
                overlay("a".repeat(40), "first", ""), "envs/dev/deployment.yaml", DEPLOYMENT,
                "envs/dev/kustomization.yaml", overlay("a".repeat(40), "first", "").replace("shop-staging", "shop-dev"));
        plan(before, "e1", push("c".repeat(40), NOW));
        // Dev was deployed meanwhile: its overlay holds another tag and event.
        Snapshot after = committed("envs/dev/kustomization.yaml",
                overlay("c".repeat(40), "e1-dev", "").replace("shop-staging", "shop-dev"));

        plan(after, "e2", push("d".repeat(40), NOW));

        assertThat(kustomizeRuns()).isEqualTo(1);
        assertThat(reused()).isEqualTo(1);
    }

    @Test
    void withReuseOffEveryDeploymentRenders() throws Exception {
        deploy = deployer(TestConfig.relay(tmp.resolve("data"), "relay.gitops.url",
                tmp.resolve("remote.git").toUri().toString(), "relay.render.reuse", "false"));

        plan(deployed(NOW.minusSeconds(60), "first"), "e1", push("c".repeat(40), NOW));
        plan(deployed(NOW.minusSeconds(30), "second"), "e2", push("d".repeat(40), NOW));

        assertThat(kustomizeRuns()).isEqualTo(2);
        assertThat(reused()).isZero();
    }

    @Test
    void theImageAlreadyRunningIsUnchangedAndCommitsNothing() throws Exception {
        Snapshot snapshot = deployed(NOW.minusSeconds(60), "earlier-event");

        Plan<Decision> plan = plan(snapshot, "another-event", push(DEPLOYED, NOW));

        assertThat(plan.decision()).isEqualTo(Decision.UNCHANGED);
        assertThat(plan.commit()).isEmpty();
    }

    @Test
    void theEventThatDeployedTheImageFindsItDeployedByItself() throws Exception {
        Snapshot snapshot = deployed(NOW.minusSeconds(60), "this-event");

        assertThat(plan(snapshot, "this-event", push(DEPLOYED, NOW.minusSeconds(60))).decision())
                .isEqualTo(Decision.ALREADY_DEPLOYED_BY_THIS_EVENT);
    }

    @Test
    void aPushOlderThanTheDeployedOneIsStaleAndCommitsNothing() throws Exception {
        Snapshot snapshot = deployed(NOW.minusSeconds(60), "earlier-event");

        Plan<Decision> plan = plan(snapshot, "late-event", push("c".repeat(40), NOW.minusSeconds(120)));

        assertThat(plan.decision()).isEqualTo(Decision.STALE);
        assertThat(plan.commit()).isEmpty();
    }

    @Test
    void aNewerPushDeploysWithTheOverlayAndTrailerItPlans() throws Exception {
        Snapshot snapshot = deployed(NOW.minusSeconds(60), "earlier-event");
        String sha = "c".repeat(40);

        Plan<Decision> plan = plan(snapshot, "next-event", push(sha, NOW));

        assertThat(plan.decision()).isEqualTo(Decision.DEPLOY);
        assertThat(plan.commit()).hasValueSatisfying(commit -> {
            assertThat(commit.eventIds()).containsExactly("next-event");
            KustomizationFile overlay = KustomizationFile.parse(new String(
                    commit.edit().writes().get("apps/shop/envs/staging/kustomization.yaml"),
                    java.nio.charset.StandardCharsets.UTF_8));
            assertThat(overlay.imageTag("app-image")).contains(sha);
            assertThat(overlay.annotation("event")).contains("next-event");
        });
    }

    @Test
    void aDeployTimeFromTheFutureOrdersNothing() throws Exception {
        Snapshot snapshot = deployed(Instant.parse("2100-01-01T00:00:00Z"), "earlier-event");

        assertThat(plan(snapshot, "next-event", push("c".repeat(40), NOW)).decision()).isEqualTo(Decision.DEPLOY);
    }
}
