package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.githubWithItsTimeout;
import static org.hamcrest.Matchers.hasSize;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.Planners;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A GitOps write renders for as long as Kustomize takes; a webhook must not wait for it, even one for a repository
 * that only the registry's refresh from the remote can tell about.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
class WebhookDuringGitOpsWriteTest {

    @Inject
    RelayConfig config;

    @Inject
    GitOpsRepository repository;

    @Test
    void aWebhookForANewlyOnboardedRepositoryIsAnsweredWhileAGitOpsWriteIsRendering() throws Exception {
        CountDownLatch rendering = new CountDownLatch(1);
        CountDownLatch renderDone = new CountDownLatch(1);
        AtomicInteger plans = new AtomicInteger();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<CommitOutcome> write = writer.submit(() -> Planners.apply(repository, snapshot -> {
                if (plans.incrementAndGet() == 1) {
                    // A render that takes its time (Kustomize fetching, a loaded machine).
                    rendering.countDown();
                    awaitQuietly(renderDone);
                }
                return Optional.of(new PlannedCommit(new TreeEdit().write("apps/demo/notes.txt", "a slow write\n"),
                        "A slow write", List.of()));
            }));
            assertThat(rendering.await(30, TimeUnit.SECONDS)).isTrue();
            // Meanwhile a team onboards its app, then pushes to its repository.
            TestApps.pushApp(TestApps.freshClone(config.dataDir()), "newcomer",
                    "source: {repository: github.com/example/newcomer}\n"
                            + "image: {repository: registry.example.org/example/newcomer}\n"
                            + "environments: {staging: {branch: main}}\n");
            // The start-up refresh must be past the on-demand rate limit, or no webhook would ask for one.
            Thread.sleep(RegistrySync.MIN_ON_DEMAND_INTERVAL.toMillis() + 100);
            String push = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                    .replace("example/demo", "example/newcomer");

            githubWithItsTimeout("push", push, UUID.randomUUID().toString()).statusCode(202)
                    .body("events", hasSize(1));

            assertThat(write.isDone()).as("answered while the write was still rendering").isFalse();
            renderDone.countDown();
            CommitOutcome outcome = write.get(30, TimeUnit.SECONDS);
            assertThat(outcome.changed()).isTrue();
            // The refresh moved the branch under the render: the write planned again on top, losing nothing.
            assertThat(plans.get()).isGreaterThanOrEqualTo(2);
            String tree = git(config.dataDir(), "--git-dir=" + config.dataDir().resolve("gitops.git"), "ls-tree",
                    "-r", "--name-only", "main");
            assertThat(tree).contains("apps/demo/notes.txt", "apps/newcomer/app.yaml");
        } finally {
            renderDone.countDown();
            writer.shutdown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
