package org.gitopsrelay.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.AppSpecParser;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.deploy.DeployPushToEnvironment.Decision;
import org.gitopsrelay.deploy.DeployPushToEnvironment.Request;
import org.gitopsrelay.deploy.DeployPushToEnvironment.Result;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.gitops.GitOpsRemote;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.render.KustomizeRenderer;
import org.gitopsrelay.render.OverlayCheck;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * A batch of pushes for several apps, deployed against a real remote with the real Kustomize: the newest push per
 * environment is committed, the others are named in its commit, all commits go out in one push, and a redelivered
 * batch commits nothing twice.
 */
class DeployBatchTest {

    private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");

    @TempDir
    Path tmp;

    private Path remote;
    private SimpleMeterRegistry metrics;
    private DeployPushToEnvironment deploy;
    private AppSpec shop;
    private AppSpec cart;

    @BeforeEach
    void setUp() throws Exception {
        remote = tmp.resolve("remote.git");
        git(tmp, "init", "--bare", "-b", "main", remote.toString());
        Path clone = tmp.resolve("clone");
        git(tmp, "clone", remote.toString(), clone.toString());
        for (String app : List.of("shop", "cart")) {
            Path overlay = Files.createDirectories(clone.resolve("apps/" + app + "/envs/staging"));
            Files.writeString(overlay.resolve("kustomization.yaml"), "resources: []\n");
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Seed");
        git(clone, "push", "-q", "origin", "HEAD:main");
        RelayConfig config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url", remote.toUri().toString());
        metrics = new SimpleMeterRegistry();
        GitOpsRepository repository = new GitOpsRepository(config, new GitOpsRemote(config), metrics,
                OpenTelemetry.noop().getTracer("test"));
        deploy = new DeployPushToEnvironment(repository,
                new OverlayCheck(new KustomizeRenderer(config, new SimpleMeterRegistry()), config, new SimpleMeterRegistry()), config,
                Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC));
        shop = app("shop");
        cart = app("cart");
    }

    private static AppSpec app(String name) throws Exception {
        return AppSpecParser.parse(name, """
                source: {repository: github.com/example/%s}
                image: {repository: registry.example.org/example/%s}
                environments:
                  staging: {branch: main}
                """.formatted(name, name));
    }

    /** A chain of pushes to main, each moving on from the previous one, a second apart. */
    private static List<Request> chain(AppSpec app, String... shas) {
        return chain(app, 1, shas);
    }

    /** A chain of pushes to main, each moving on from the previous one, {@code step} seconds apart. */
    private static List<Request> chain(AppSpec app, int step, String... shas) {
        List<Request> requests = new ArrayList<>();
        String before = "0".repeat(39) + "1";
        for (int i = 0; i < shas.length; i++) {
            Instant at = T0.plusSeconds((long) i * step);
            var push = new GitChange.Push(SourceRepo.parse("github.com/example/" + app.name()),
                    GitChange.RefKind.BRANCH, "main", before, shas[i], shas[i], 1, "alice", at, at, false, false, false);
            requests.add(new Request(RelayEvent.of(app.name() + "-push-" + i, "/webhooks/github", EventTypes.GIT_PUSH,
                    app.name(), at, EventCodec.JSON.createObjectNode()), app, push));
            before = shas[i];
        }
        return requests;
    }

    private static String sha(char c) {
        return String.valueOf(c).repeat(40);
    }

    private static List<Request> interleaved(List<Request> a, List<Request> b) {
        List<Request> all = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                all.add(a.get(i));
            }
            if (i < b.size()) {
                all.add(b.get(i));
            }
        }
        return all;
    }

    private static List<Decision> decisions(List<List<Result>> results) {
        return results.stream().map(perEnv -> perEnv.get(0).decision()).toList();
    }

    private String overlay(String app) throws Exception {
        return git(tmp, "--git-dir=" + remote, "show", "main:apps/" + app + "/envs/staging/kustomization.yaml");
    }

    private List<String> trailersOnMain() throws Exception {
        return Arrays.stream(git(tmp, "--git-dir=" + remote, "log", "--format=%(trailers:key=Relay-Event,valueonly)",
                "main").split("\n")).map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    private long pushes() {
        return metrics.timer(RelayMetrics.GIT_PUSH).count();
    }

    @Test
    void theNewestPushPerEnvironmentIsCommittedAndNamesTheOthersAndAllGoOutInOnePush() throws Exception {
        List<Request> batch = interleaved(chain(shop, sha('a'), sha('b'), sha('c')), chain(cart, sha('d'), sha('e')));

        List<List<Result>> results = deploy.handleAll(batch);

        assertThat(decisions(results)).containsExactly(Decision.SUPERSEDED, Decision.SUPERSEDED,
                Decision.SUPERSEDED, Decision.DEPLOY, Decision.DEPLOY);
        assertThat(results.get(4).get(0).event()).isPresent();
        assertThat(results.get(0).get(0).event()).as("a superseded push publishes nothing").isEmpty();
        assertThat(KustomizationFile.parse(overlay("shop")).imageTag("app-image")).contains(sha('c'));
        assertThat(KustomizationFile.parse(overlay("cart")).imageTag("app-image")).contains(sha('e'));
        assertThat(trailersOnMain()).containsExactlyInAnyOrder("shop-push-0", "shop-push-1", "shop-push-2",
                "cart-push-0", "cart-push-1");
        assertThat(git(tmp, "--git-dir=" + remote, "rev-list", "--count", "main").strip())
                .as("one commit per app and environment, on the seed").isEqualTo("3");
        assertThat(pushes()).isEqualTo(1);
    }

    @Test
    void aRedeliveredBatchCommitsNothingTwice() throws Exception {
        List<Request> batch = interleaved(chain(shop, sha('a'), sha('b')), chain(cart, sha('d')));
        deploy.handleAll(batch);

        List<List<Result>> again = deploy.handleAll(batch);
        // Redelivered in smaller batches, in Kafka's order: an older push alone must not roll back either.
        List<List<Result>> alone = deploy.handleAll(List.of(batch.get(0)));

        assertThat(decisions(again)).containsExactly(Decision.SUPERSEDED,
                Decision.ALREADY_DEPLOYED_BY_THIS_EVENT, Decision.ALREADY_DEPLOYED_BY_THIS_EVENT);
        assertThat(again.get(1).get(0).event()).as("the deployment is published again, under its id").isPresent();
        assertThat(decisions(alone)).containsExactly(Decision.SUPERSEDED);
        assertThat(trailersOnMain()).containsExactlyInAnyOrder("shop-push-0", "shop-push-1", "cart-push-0");
        assertThat(pushes()).isEqualTo(1);
    }

    @Test
    void aChainOfPushesInOneSecondSplitOverTwoBatchesEndsOnItsLastPush() throws Exception {
        // GitHub stamps pushes with whole seconds: three in one second tie, and only the chain orders them.
        List<Request> chain = chain(shop, 0, sha('a'), sha('b'), sha('c'));
        deploy.handleAll(chain.subList(0, 1));

        List<List<Result>> results = deploy.handleAll(chain.subList(1, 3));

        assertThat(decisions(results)).containsExactly(Decision.SUPERSEDED, Decision.DEPLOY);
        assertThat(KustomizationFile.parse(overlay("shop")).imageTag("app-image")).contains(sha('c'));
    }

    @Test
    void olderPushesCoalescedIntoANewestThatCannotBeDeployedFailWithIt() throws Exception {
        AppSpec gone = app("gone");

        List<List<Result>> results = deploy.handleAll(chain(gone, sha('a'), sha('b')));

        assertThat(results).allSatisfy(perEnv -> assertThat(perEnv.get(0).failure()).hasValueSatisfying(
                failure -> assertThat(failure.reason()).isEqualTo(Reason.INVALID_CHANGE)));
        assertThat(results.get(0).get(0).event()).as("one failed event, the newest push's").isEmpty();
        assertThat(results.get(1).get(0).event()).isPresent();
    }

    @Test
    void aPushReplayedAfterOneOfItsEnvironmentsFailedStillDeploysThatEnvironment() throws Exception {
        AppSpec twoEnvironments = AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/example/shop}
                environments:
                  staging: {branch: main}
                  qa: {branch: main}
                """);
        List<Request> push = List.of(new Request(chain(shop, sha('a')).get(0).trigger(), twoEnvironments,
                chain(shop, sha('a')).get(0).push()));
        List<List<Result>> first = deploy.handleAll(push);
        assertThat(first.get(0)).extracting(Result::environment, Result::outcome)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("staging", "deploy"),
                        org.assertj.core.groups.Tuple.tuple("qa", "failed"));
        Path clone = tmp.resolve("fix");
        git(tmp, "clone", "-q", remote.toString(), clone.toString());
        Files.writeString(Files.createDirectories(clone.resolve("apps/shop/envs/qa")).resolve("kustomization.yaml"),
                "resources: []\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Add the qa overlay");
        git(clone, "push", "-q", "origin", "HEAD:main");

        List<List<Result>> replayed = deploy.handleAll(push);

        assertThat(replayed.get(0)).extracting(Result::environment, Result::outcome).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("staging", "already-deployed-by-this-event"),
                org.assertj.core.groups.Tuple.tuple("qa", "deploy"));
    }

    @Test
    void anOverlayThatCannotBeDeployedFailsAloneAndTheRestOfTheBatchLands() throws Exception {
        AppSpec gone = app("gone");
        List<Request> batch = interleaved(chain(gone, sha('f')), chain(shop, sha('a')));

        List<List<Result>> results = deploy.handleAll(batch);

        assertThat(results.get(0).get(0).failure()).hasValueSatisfying(
                failure -> assertThat(failure.reason()).isEqualTo(Reason.INVALID_CHANGE));
        assertThat(results.get(0).get(0).event()).as("its failed event").isPresent();
        assertThat(results.get(1).get(0).decision()).isEqualTo(Decision.DEPLOY);
        assertThat(KustomizationFile.parse(overlay("shop")).imageTag("app-image")).contains(sha('a'));
    }
}
