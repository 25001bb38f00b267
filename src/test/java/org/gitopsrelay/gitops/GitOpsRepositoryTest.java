package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.testing.LockProbe;
import org.gitopsrelay.testing.Planners;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/** Real JGit against a real bare repository over file://, checked with the git command line. */
class GitOpsRepositoryTest {

    @TempDir
    Path tmp;

    private SimpleMeterRegistry metrics;
    private GitOpsRepository repository;
    private Path remote;

    @BeforeEach
    void setUp() {
        remote = tmp.resolve("remote.git");
        git(tmp, "init", "--bare", "-b", "main", remote.toString());
        Path seed = tmp.resolve("seed");
        git(tmp, "clone", remote.toString(), seed.toString());
        write(seed.resolve("apps/shop/app.yaml"), "source: {repository: github.com/example/shop}\n");
        git(seed, "add", "-A");
        git(seed, "commit", "-m", "seed");
        git(seed, "push", "origin", "HEAD:main");
        repository = open("relay.gitops.url", remote.toUri().toString(), "relay.gitops.retry-backoff", "PT0.01S");
    }

    private GitOpsRepository open(String... keyValues) {
        RelayConfig config = TestConfig.relay(tmp.resolve("data"), keyValues);
        metrics = new SimpleMeterRegistry();
        return new GitOpsRepository(config, new GitOpsRemote(config), metrics, OpenTelemetry.noop().getTracer("test"));
    }

    @AfterEach
    void tearDown() {
        repository.close();
    }

    private static PlannedCommit commit(String path, String content) {
        return new PlannedCommit(new TreeEdit().write(path, content), "Change " + path, List.of("event-1"));
    }

    /** This test's repository again, planning on a cache synced within the last minute without fetching. */
    private void reopenOptimistic() {
        repository.close();
        repository = open("relay.gitops.url", remote.toUri().toString(), "relay.gitops.max-staleness", "PT1M",
                "relay.gitops.retry-backoff", "PT0.01S");
    }

    private long fetches() {
        return metrics.timer(org.gitopsrelay.shared.RelayMetrics.GIT_FETCH).count();
    }

    /** Someone else (a person, another replica) changes a file on the remote branch. */
    private void pushedBySomeoneElse(String path, String content) {
        Path clone = tmp.resolve("other-" + java.util.UUID.randomUUID());
        git(tmp, "clone", "-q", remote.toString(), clone.toString());
        write(clone.resolve(path), content);
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "By hand");
        git(clone, "push", "-q", "origin", "HEAD:main");
    }

    /** Plans that {@code path} holds {@code content}: a commit when it does not, nothing when it does. */
    private static ChangePlanner<Boolean> holds(String path, String content) {
        return snapshot -> content.equals(snapshot.read(path).orElse(null)) ? Plan.nothing(false)
                : Plan.commit(true, commit(path, content));
    }

    @Test
    void aChangeOnACacheSyncedMomentsAgoIsPlannedWithoutFetching() {
        reopenOptimistic();
        repository.apply(holds("apps/shop/a.yaml", "a: 1\n"));
        long before = fetches();

        Applied<Boolean> second = repository.apply(holds("apps/shop/b.yaml", "b: 1\n"));

        assertThat(second.decision()).isTrue();
        assertThat(fetches()).isEqualTo(before);
        assertThat(git(remote, "show", "main:apps/shop/b.yaml")).isEqualTo("b: 1\n");
    }

    @Test
    void aCommitPlannedOnAStaleCacheIsRejectedAndPlannedAgainOnWhatSomeoneElsePushed() {
        reopenOptimistic();
        repository.apply(holds("apps/shop/a.yaml", "a: 1\n"));
        pushedBySomeoneElse("apps/shop/by-hand.yaml", "x: 1\n");

        Applied<Boolean> applied = repository.apply(holds("apps/shop/b.yaml", "b: 1\n"));

        assertThat(applied.outcome().attempts()).isEqualTo(2);
        assertThat(git(remote, "show", "main:apps/shop/by-hand.yaml")).isEqualTo("x: 1\n");
        assertThat(git(remote, "show", "main:apps/shop/b.yaml")).isEqualTo("b: 1\n");
    }

    @Test
    void nothingToDoDecidedOnAStaleCacheIsCheckedAgainstTheRemote() {
        reopenOptimistic();
        repository.apply(holds("apps/shop/a.yaml", "a: 1\n"));
        // By hand, the file is changed on the remote; the cache still says it holds what is wanted.
        pushedBySomeoneElse("apps/shop/a.yaml", "a: 3\n");

        Applied<Boolean> applied = repository.apply(holds("apps/shop/a.yaml", "a: 1\n"));

        assertThat(applied.decision()).isTrue();
        assertThat(git(remote, "show", "main:apps/shop/a.yaml")).isEqualTo("a: 1\n");
    }

    @Test
    void aRefusalDecidedOnAStaleCacheIsCheckedAgainstTheRemote() {
        reopenOptimistic();
        repository.apply(holds("apps/shop/a.yaml", "broken\n"));
        pushedBySomeoneElse("apps/shop/a.yaml", "fixed\n");

        // A planner that refuses while the file is broken, as a failing render would.
        Applied<Boolean> applied = repository.apply(snapshot -> {
            if (snapshot.read("apps/shop/a.yaml").orElse("").equals("broken\n")) {
                throw new org.gitopsrelay.shared.RelayException(
                        org.gitopsrelay.shared.RelayException.Reason.RENDER_FAILED, "still broken");
            }
            return Plan.commit(true, commit("apps/shop/b.yaml", "b: 1\n"));
        });

        assertThat(applied.decision()).isTrue();
        assertThat(git(remote, "show", "main:apps/shop/b.yaml")).isEqualTo("b: 1\n");
    }

    @Test
    void aChangeBecomesACommitThatAFreshCloneShowsWithItsEventTrailer() {
        CommitOutcome outcome = Planners.apply(repository, snapshot -> Optional.of(commit("apps/shop/envs/staging/kustomization.yaml",
                "namespace: shop-staging\n")));

        assertThat(outcome.changed()).isTrue();
        assertThat(outcome.attempts()).isEqualTo(1);
        Path clone = tmp.resolve("check");
        git(tmp, "clone", remote.toString(), clone.toString());
        assertThat(git(clone, "log", "-1", "--format=%H")).startsWith(outcome.commit());
        assertThat(git(clone, "log", "-1", "--format=%an <%ae>%n%B")).isEqualTo(
                "gitops-relay <gitops-relay@localhost>\nChange apps/shop/envs/staging/kustomization.yaml\n\nRelay-Event: event-1\n\n");
        assertThat(clone.resolve("apps/shop/envs/staging/kustomization.yaml")).hasContent("namespace: shop-staging");
        assertThat(clone.resolve("apps/shop/app.yaml")).exists();
        assertThat(git(clone, "fsck", "--strict")).doesNotContain("error");
    }

    @Test
    void theDesiredStateAlreadyThereCommitsNothing() {
        Planners.apply(repository, snapshot -> Optional.of(commit("apps/shop/x.yaml", "a: 1\n")));
        String before = git(remote, "rev-parse", "main");

        CommitOutcome again = Planners.apply(repository, snapshot -> Optional.of(commit("apps/shop/x.yaml", "a: 1\n")));

        assertThat(again.changed()).isFalse();
        assertThat(git(remote, "rev-parse", "main")).isEqualTo(before);
    }

    @Test
    void aPushRejectedBecauseAnotherWriterWentFirstIsFetchedAndReApplied() {
        Path other = tmp.resolve("other-writer");
        git(tmp, "clone", remote.toString(), other.toString());
        AtomicInteger plans = new AtomicInteger();

        CommitOutcome outcome = Planners.apply(repository, snapshot -> {
            if (plans.incrementAndGet() == 1) {
                // Between our fetch and our push, a person pushes a change of their own.
                write(other.resolve("apps/shop/envs/production/kustomization.yaml"), "namespace: shop-production\n");
                git(other, "add", "-A");
                git(other, "commit", "-m", "manual change");
                git(other, "push", "origin", "HEAD:main");
            }
            return Optional.of(commit("apps/shop/envs/staging/kustomization.yaml", "namespace: shop-staging\n"));
        });

        assertThat(outcome.attempts()).isEqualTo(2);
        assertThat(plans).hasValue(2);
        assertThat(metrics.counter(RelayMetrics.GIT_PUSH_CONFLICTS).count()).isEqualTo(1.0);
        assertThat(git(remote, "log", "--format=%s", "main")).isEqualTo(
                "Change apps/shop/envs/staging/kustomization.yaml\nmanual change\nseed\n");
        assertThat(git(remote, "show", "main:apps/shop/envs/production/kustomization.yaml"))
                .isEqualTo("namespace: shop-production\n");
    }

    /** A planner of {@code apps/shop/} whose first plan is overtaken by a person's push to {@code path}. */
    private ChangePlanner<Boolean> shopPlannerOvertakenBy(String path, AtomicInteger plans) {
        Path other = tmp.resolve("person");
        git(tmp, "clone", "-q", remote.toString(), other.toString());
        return ChangePlanner.within("apps/shop", snapshot -> {
            if (plans.incrementAndGet() == 1) {
                write(other.resolve(path), "by: hand\n");
                git(other, "add", "-A");
                git(other, "commit", "-qm", "manual change");
                git(other, "push", "-q", "origin", "HEAD:main");
            }
            return Plan.commit(true, commit("apps/shop/envs/staging/kustomization.yaml", "namespace: shop-staging\n"));
        });
    }

    @Test
    void aPlanThatReadsOnlyAFolderAnotherWritersPushLeftAloneIsCommittedAgainWithoutPlanningAgain() {
        AtomicInteger plans = new AtomicInteger();

        Applied<Boolean> applied = repository.apply(shopPlannerOvertakenBy("apps/cart/app.yaml", plans));

        assertThat(applied.outcome().attempts()).isEqualTo(2);
        assertThat(plans).as("plans made").hasValue(1);
        assertThat(git(remote, "log", "--format=%s", "main")).isEqualTo(
                "Change apps/shop/envs/staging/kustomization.yaml\nmanual change\nseed\n");
        assertThat(git(remote, "show", "main:apps/cart/app.yaml")).isEqualTo("by: hand\n");
    }

    @Test
    void inABatchOnlyThePlanWhoseFolderAnotherWriterChangedIsPlannedAgain() {
        AtomicInteger shopPlans = new AtomicInteger();
        AtomicInteger cartPlans = new AtomicInteger();
        ChangePlanner<Boolean> shop = shopPlannerOvertakenBy("apps/cart/base/extra.yaml", shopPlans);
        ChangePlanner<Boolean> cart = ChangePlanner.within("apps/cart", snapshot -> {
            cartPlans.incrementAndGet();
            return Plan.commit(true, commit("apps/cart/envs/staging/kustomization.yaml", "namespace: cart\n"));
        });

        List<ChangeResult<Boolean>> results = repository.applyAll(List.of(shop, cart));

        assertThat(results).allMatch(result -> result instanceof ChangeResult.Done);
        assertThat(shopPlans).as("shop's plans: its folder untouched").hasValue(1);
        assertThat(cartPlans).as("cart's plans: its folder changed").hasValue(2);
    }

    @Test
    void aPlanOvertakenByACommitOfTheRelaysOwnIsPlannedAgain() {
        AtomicInteger plans = new AtomicInteger();
        Path other = tmp.resolve("replica");
        git(tmp, "clone", "-q", remote.toString(), other.toString());
        ChangePlanner<Boolean> planner = ChangePlanner.within("apps/shop", snapshot -> {
            if (plans.incrementAndGet() == 1) {
                // Another replica's commit, elsewhere: it names events, which a plan reads in the history.
                write(other.resolve("apps/cart/app.yaml"), "by: replica\n");
                git(other, "add", "-A");
                git(other, "commit", "-qm", "Deploy cart\n\nRelay-Event: another-event");
                git(other, "push", "-q", "origin", "HEAD:main");
            }
            return Plan.commit(true, commit("apps/shop/envs/staging/kustomization.yaml", "namespace: shop-staging\n"));
        });

        repository.apply(planner);

        assertThat(plans).as("plans made").hasValue(2);
    }

    @Test
    void aPlanWhoseFolderAnotherWriterChangedIsPlannedAgain() {
        AtomicInteger plans = new AtomicInteger();

        repository.apply(shopPlannerOvertakenBy("apps/shop/base/extra.yaml", plans));

        assertThat(plans).as("plans made").hasValue(2);
        assertThat(git(remote, "show", "main:apps/shop/base/extra.yaml")).isEqualTo("by: hand\n");
    }

    @Test
    void aDiskErrorWhilePlanningRefusesThatChangeAloneAndCanBeRetried() {
        List<ChangeResult<Boolean>> results = repository.applyAll(List.of(
                snapshot -> {
                    throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                },
                holds("apps/shop/b.yaml", "b: 1\n")));

        assertThat(results.get(0)).isInstanceOfSatisfying(ChangeResult.Refused.class, refused -> {
            assertThat(refused.error().reason()).isEqualTo(Reason.STORAGE_UNAVAILABLE);
            assertThat(refused.error().reason().retryable()).isTrue();
        });
        assertThat(results.get(1)).isInstanceOf(ChangeResult.Done.class);
        assertThat(git(remote, "show", "main:apps/shop/b.yaml")).isEqualTo("b: 1\n");
    }

    @Test
    void twoWritersPlanAtOnceAndTheOneOvertakenPlansAgainSoNeitherLosesItsChange() throws Exception {
        CountDownLatch rendering = new CountDownLatch(1);
        CountDownLatch renderDone = new CountDownLatch(1);
        AtomicInteger slowPlans = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try {
            Future<CommitOutcome> slow = writers.submit(() -> Planners.apply(repository, snapshot -> {
                if (slowPlans.incrementAndGet() == 1) {
                    // A long render: the other writer must not wait for it.
                    rendering.countDown();
                    awaitQuietly(renderDone);
                }
                return Optional.of(commit("apps/shop/envs/staging/kustomization.yaml", "namespace: shop-staging\n"));
            }));
            assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();

            CommitOutcome fast = writers.submit(() -> Planners.apply(repository, snapshot -> Optional.of(
                    commit("apps/shop/envs/production/kustomization.yaml", "namespace: shop-production\n"))))
                    .get(10, TimeUnit.SECONDS);

            assertThat(fast.changed()).isTrue();
            assertThat(fast.attempts()).isEqualTo(1);
            assertThat(slow.isDone()).isFalse();
            renderDone.countDown();
            CommitOutcome overtaken = slow.get(10, TimeUnit.SECONDS);
            // Planned again on the new tip, in process: no push was rejected for it.
            assertThat(overtaken.attempts()).isEqualTo(2);
            assertThat(slowPlans).hasValue(2);
            assertThat(metrics.counter(RelayMetrics.GIT_PUSH_CONFLICTS).count()).isZero();
            assertThat(git(remote, "log", "--format=%s", "main")).isEqualTo(
                    "Change apps/shop/envs/staging/kustomization.yaml\n"
                            + "Change apps/shop/envs/production/kustomization.yaml\nseed\n");
            assertThat(git(remote, "ls-tree", "-r", "--name-only", "main")).contains(
                    "apps/shop/envs/staging/kustomization.yaml", "apps/shop/envs/production/kustomization.yaml");
        } finally {
            renderDone.countDown();
            writers.shutdown();
        }
    }

    @Test
    void aWriterOvertakenAgainAndAgainPlansUnderTheLockAtLastAndLands() throws Exception {
        ExecutorService others = Executors.newSingleThreadExecutor();
        AtomicInteger plans = new AtomicInteger();
        try {
            CommitOutcome outcome = Planners.apply(repository, snapshot -> {
                int plan = plans.incrementAndGet();
                if (plan <= 5) {
                    // Each time, another writer of this process commits while this one plans.
                    try {
                        others.submit(() -> Planners.apply(repository, s -> Optional.of(commit("apps/shop/other.yaml",
                                "n: " + plan + "\n")))).get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return Optional.of(commit("apps/shop/mine.yaml", "mine: true\n"));
            });

            // push-attempts (5) overtakings, then one plan under the lock: nobody can overtake it.
            assertThat(outcome.attempts()).isEqualTo(6);
            assertThat(plans).hasValue(6);
            assertThat(git(remote, "show", "main:apps/shop/other.yaml")).isEqualTo("n: 5\n");
            assertThat(git(remote, "show", "main:apps/shop/mine.yaml")).isEqualTo("mine: true\n");
        } finally {
            others.shutdown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void writersThatKeepPushingFirstExhaustTheBoundedRetries() {
        Path other = tmp.resolve("busy-writer");
        git(tmp, "clone", remote.toString(), other.toString());
        AtomicInteger plans = new AtomicInteger();

        assertThatThrownBy(() -> Planners.apply(repository, snapshot -> {
            write(other.resolve("counter"), String.valueOf(plans.incrementAndGet()));
            git(other, "add", "-A");
            git(other, "commit", "-qm", "busy " + plans.get());
            git(other, "push", "-q", "origin", "HEAD:main");
            return Optional.of(commit("apps/shop/y.yaml", "b: 2\n"));
        })).isInstanceOfSatisfying(RelayException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.GIT_PUSH_CONFLICT);
            assertThat(e.getMessage()).contains("after 5 attempts");
        });
        assertThat(plans).hasValue(5);
        assertThat(git(remote, "show", "main:counter")).isEqualTo("5");
    }

    @Test
    void removingAFolderRemovesEverythingBelowIt() {
        Planners.apply(repository, snapshot -> Optional.of(new PlannedCommit(new TreeEdit()
                .write("apps/shop/previews/pr-1/kustomization.yaml", "a: 1\n")
                .write("apps/shop/previews/pr-1/patch.yaml", "b: 1\n"), "add", List.of())));

        Planners.apply(repository, snapshot -> Optional.of(new PlannedCommit(new TreeEdit().remove("apps/shop/previews/pr-1"),
                "remove", List.of())));

        assertThat(git(remote, "ls-tree", "-r", "--name-only", "main")).isEqualTo("apps/shop/app.yaml\n");
    }

    @Test
    void snapshotsReadFilesAndListFolders() {
        Snapshot snapshot = repository.fetch();
        assertThat(snapshot.read("apps/shop/app.yaml")).contains("source: {repository: github.com/example/shop}\n");
        assertThat(snapshot.read("apps/shop/missing.yaml")).isEmpty();
        assertThat(snapshot.folders("apps")).containsExactly("shop");
        assertThat(snapshot.folders("nowhere")).isEmpty();
    }

    @Test
    void anUnreachableRemoteIsARetryableError() {
        repository.close();
        repository = open("relay.gitops.url", tmp.resolve("does-not-exist.git").toUri().toString());

        assertThatThrownBy(() -> repository.fetch()).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.GIT_UNAVAILABLE));
        assertThat(Reason.GIT_UNAVAILABLE.retryable()).isTrue();
    }

    /** The lock file a process killed while it moved the cache's tracking ref leaves behind. */
    private Path trackingRefLock() {
        return tmp.resolve("data/gitops-cache.git/refs/remotes/origin/main.lock");
    }

    @Test
    void aLockFileLeftInTheCacheByAKilledProcessIsRemovedWhenTheCacheOpensAgain() throws Exception {
        repository.apply(holds("apps/shop/a.yaml", "a: 1\n"));
        repository.close();
        Files.writeString(trackingRefLock(), "");
        pushedBySomeoneElse("apps/shop/by-hand.yaml", "x: 1\n");

        repository = open("relay.gitops.url", remote.toUri().toString(), "relay.gitops.retry-backoff", "PT0.01S");
        Applied<Boolean> applied = repository.apply(holds("apps/shop/b.yaml", "b: 1\n"));

        assertThat(trackingRefLock()).doesNotExist();
        assertThat(applied.outcome().attempts()).isEqualTo(1);
        assertThat(git(remote, "show", "main:apps/shop/by-hand.yaml")).isEqualTo("x: 1\n");
        assertThat(git(remote, "show", "main:apps/shop/b.yaml")).isEqualTo("b: 1\n");
    }

    @Test
    void aFetchThatCannotMoveTheCacheIsAStorageErrorNotAnotherWriterPushingFirst() throws Exception {
        repository.fetch();
        Files.writeString(trackingRefLock(), "");
        pushedBySomeoneElse("apps/shop/by-hand.yaml", "x: 1\n");

        assertThatThrownBy(() -> repository.fetch()).isInstanceOfSatisfying(RelayException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.STORAGE_UNAVAILABLE);
            assertThat(e).hasMessageContaining("refs/remotes/origin/main").hasMessageContaining("LOCK_FAILURE");
        });
        assertThatThrownBy(() -> repository.apply(holds("apps/shop/b.yaml", "b: 1\n")))
                .isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.STORAGE_UNAVAILABLE));
        assertThat(git(remote, "ls-tree", "--name-only", "main", "apps/shop/")).doesNotContain("b.yaml");
    }

    /** Whether another process can take the cache's owner lock now. */
    private boolean anotherProcessCanOwnTheCache() throws Exception {
        return LockProbe.canLock(tmp.resolve("data/gitops-cache.git/" + GitOpsCache.OWNER_LOCK));
    }

    @Test
    void aSecondRelayOnTheSameDataDirIsRefusedWithAClearMessageAndTheFirstKeepsIt() throws Exception {
        repository.fetch();
        assertThat(anotherProcessCanOwnTheCache()).isFalse();
        GitOpsRepository second = open("relay.gitops.url", remote.toUri().toString());
        try {
            assertThatThrownBy(second::fetch).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another relay").hasMessageContaining("relay.data-dir");
        } finally {
            second.close();
        }
        assertThat(anotherProcessCanOwnTheCache()).as("the refused second open left the first one's lock").isFalse();

        repository.close();
        assertThat(anotherProcessCanOwnTheCache()).isTrue();
        repository = open("relay.gitops.url", remote.toUri().toString());
        assertThat(repository.fetch().commit()).isPresent();
    }

    @Test
    void aClosedRepositoryGivesItsCacheUpAndIsNotOpenedAgainBehindItsBack() throws Exception {
        repository.fetch();
        repository.close();

        assertThatThrownBy(() -> repository.fetch()).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.STORAGE_UNAVAILABLE));
        assertThat(anotherProcessCanOwnTheCache()).isTrue();
    }

    @Test
    void anEmptyRemoteGetsItsBranchFromTheFirstPush() {
        Path empty = tmp.resolve("empty.git");
        git(tmp, "init", "--bare", "-b", "main", empty.toString());
        repository.close();
        repository = open("relay.gitops.url", empty.toUri().toString(), "relay.data-dir", tmp.resolve("data2").toString());

        assertThat(repository.fetch().commit()).isEmpty();
        CommitOutcome outcome = Planners.apply(repository, snapshot -> Optional.of(commit("README.md", "hello\n")));

        assertThat(git(empty, "rev-parse", "main").trim()).isEqualTo(outcome.commit());
    }

    /** A tree Git itself would refuse: an entry named {@code ..} inside {@code apps/demo}. */
    private org.eclipse.jgit.lib.ObjectId craftedTreeCommit(org.eclipse.jgit.lib.Repository repo) throws Exception {
        try (org.eclipse.jgit.lib.ObjectInserter inserter = repo.newObjectInserter()) {
            org.eclipse.jgit.lib.ObjectId blob = inserter.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB,
                    "pwned".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            org.eclipse.jgit.lib.TreeFormatter escape = new org.eclipse.jgit.lib.TreeFormatter();
            escape.append("pwned.txt", org.eclipse.jgit.lib.FileMode.REGULAR_FILE, blob);
            org.eclipse.jgit.lib.ObjectId escapeTree = inserter.insert(escape);
            org.eclipse.jgit.lib.TreeFormatter demo = new org.eclipse.jgit.lib.TreeFormatter();
            demo.append("..", org.eclipse.jgit.lib.FileMode.TREE, escapeTree);
            org.eclipse.jgit.lib.ObjectId demoTree = inserter.insert(demo);
            org.eclipse.jgit.lib.TreeFormatter apps = new org.eclipse.jgit.lib.TreeFormatter();
            apps.append("demo", org.eclipse.jgit.lib.FileMode.TREE, demoTree);
            org.eclipse.jgit.lib.TreeFormatter root = new org.eclipse.jgit.lib.TreeFormatter();
            root.append("apps", org.eclipse.jgit.lib.FileMode.TREE, inserter.insert(apps));
            org.eclipse.jgit.lib.CommitBuilder commit = new org.eclipse.jgit.lib.CommitBuilder();
            commit.setTreeId(inserter.insert(root));
            org.eclipse.jgit.lib.PersonIdent mallory = new org.eclipse.jgit.lib.PersonIdent("mallory", "m@example.org");
            commit.setAuthor(mallory);
            commit.setCommitter(mallory);
            commit.setMessage("crafted");
            org.eclipse.jgit.lib.ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id;
        }
    }

    @Test
    void aCraftedTreeCannotWriteOutsideTheRenderFolder() throws Exception {
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(tmp.resolve("crafted.git").toFile()).build()) {
            repo.create(true);
            org.eclipse.jgit.lib.ObjectId commit = craftedTreeCommit(repo);
            try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(repo)) {
                Snapshot snapshot = new Snapshot(repo, commit, walk.parseCommit(commit).getTree(), new CommitFacts.Cache());
                Path target = Files.createDirectories(tmp.resolve("render/inner"));

                assertThatThrownBy(() -> snapshot.materialize("apps/demo", new TreeEdit(), target))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a repository path");
                assertThat(tmp.resolve("render/pwned.txt")).doesNotExist();
                assertThat(target.resolve("apps/pwned.txt")).doesNotExist();
            }
        }
    }

    @Test
    void aRemoteServingACraftedTreeIsRefusedAtFetch() throws Exception {
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(remote.toFile()).build()) {
            org.eclipse.jgit.lib.RefUpdate update = repo.updateRef("refs/heads/main");
            update.setNewObjectId(craftedTreeCommit(repo));
            update.setForceUpdate(true);
            update.update();
        }

        assertThatThrownBy(() -> repository.fetch()).isInstanceOfSatisfying(RelayException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.GIT_UNAVAILABLE));
    }

    // The tree a change makes, compared with the one git itself writes for the same edit (done on a clone's files,
    // then `git add -A` and `git write-tree`): the ids must be the same, byte for byte.

    private final AtomicInteger clones = new AtomicInteger();

    /** Commits files (path, content, path, content...) to the remote as a person would. */
    private void seed(String... pathsAndContents) {
        Path clone = tmp.resolve("seeder-" + clones.incrementAndGet());
        git(tmp, "clone", "-q", remote.toString(), clone.toString());
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            write(clone.resolve(pathsAndContents[i]), pathsAndContents[i + 1]);
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "seed more");
        git(clone, "push", "-q", "origin", "HEAD:main");
    }

    /** Applies the edit through the relay and checks that the branch's new tree is the one git writes. */
    private void assertRelayWritesTheTreeGitWrites(TreeEdit edit) {
        Path clone = tmp.resolve("cli-" + clones.incrementAndGet());
        git(tmp, "clone", "-q", remote.toString(), clone.toString());
        String expected = treeByGit(clone, edit);

        CommitOutcome outcome = Planners.apply(repository,
                snapshot -> Optional.of(new PlannedCommit(edit, "edit", List.of("event-1"))));

        assertThat(outcome.changed()).isTrue();
        assertThat(git(remote, "rev-parse", "main^{tree}").trim()).isEqualTo(expected);
        assertThat(git(remote, "fsck", "--strict", "--no-dangling")).doesNotContain("error", "warning");
    }

    /** The edit done with files and the git command line: removals first, then writes. */
    private static String treeByGit(Path clone, TreeEdit edit) {
        for (String removal : edit.removals()) {
            deleteAll(clone.resolve(removal));
        }
        for (var write : edit.writes().entrySet()) {
            Path file = clone.resolve(write.getKey());
            // A file where the path needs a folder goes, and so does a folder where it needs a file.
            for (Path ancestor = file.getParent(); !ancestor.equals(clone); ancestor = ancestor.getParent()) {
                if (Files.isRegularFile(ancestor, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    deleteAll(ancestor);
                }
            }
            if (Files.isDirectory(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                deleteAll(file);
            }
            try {
                Files.createDirectories(file.getParent());
                Files.write(file, write.getValue());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        git(clone, "add", "-A");
        return git(clone, "write-tree").trim();
    }

    private static void deleteAll(Path path) {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(path)) {
            for (Path each : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(each);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void newNestedFoldersAreWrittenAsGitWritesThem() {
        assertRelayWritesTheTreeGitWrites(new TreeEdit()
                .write("apps/shop/previews/pr-1/kustomization.yaml", "a: 1\n")
                .write("apps/shop/previews/pr-1/patches/deep/er/patch.yaml", "b: 1\n")
                .write("apps/cart/app.yaml", "source: {repository: github.com/example/cart}\n")
                .write("README.md", "hello\n"));
    }

    @Test
    void namesThatSortAroundTheSlashAreInGitsOrder() {
        // A folder sorts as if its name ended with '/': a-b, a.b, a/, a0, but the file a before a-b.
        seed("apps/dirs/a/x", "1\n", "apps/files/a", "1\n");
        assertRelayWritesTheTreeGitWrites(new TreeEdit()
                .write("apps/dirs/a-b", "2\n")
                .write("apps/dirs/a.b", "3\n")
                .write("apps/dirs/a0", "4\n")
                .write("apps/dirs/a0b/x", "5\n")
                .write("apps/dirs/a/y", "6\n")
                .write("apps/files/a-b", "7\n")
                .write("apps/files/a.b/x", "8\n")
                .write("apps/files/a0/x", "9\n")
                .write("apps/files/a!", "10\n"));
    }

    @Test
    void aFileBecomesAFolderAndAFolderAFile() {
        seed("apps/shop/config", "file\n", "apps/shop/envs/staging/kustomization.yaml", "a: 1\n",
                "apps/shop/envs/staging/patch.yaml", "b: 1\n");
        assertRelayWritesTheTreeGitWrites(new TreeEdit()
                .write("apps/shop/config/settings.yaml", "now a folder\n")
                .write("apps/shop/envs/staging", "now a file\n"));
    }

    @Test
    void removingTheLastFileOfAFolderRemovesTheFolderAndItsEmptiedParents() {
        seed("apps/shop/previews/pr-1/kustomization.yaml", "a: 1\n", "apps/shop/envs/staging/kustomization.yaml",
                "a: 1\n");
        assertRelayWritesTheTreeGitWrites(new TreeEdit().remove("apps/shop/previews/pr-1/kustomization.yaml"));
        assertThat(git(remote, "ls-tree", "-r", "--name-only", "main")).doesNotContain("previews");
    }

    @Test
    void removingAWholeFolderRemovesEverythingBelowItAsGitDoes() {
        seed("apps/shop/previews/pr-1/kustomization.yaml", "a: 1\n", "apps/shop/previews/pr-1/deep/patch.yaml",
                "b: 1\n", "apps/shop/previews/pr-2/kustomization.yaml", "c: 1\n");
        assertRelayWritesTheTreeGitWrites(new TreeEdit().remove("apps/shop/previews/pr-1").remove("apps/nowhere"));
        assertThat(git(remote, "ls-tree", "-r", "--name-only", "main"))
                .isEqualTo("apps/shop/app.yaml\napps/shop/previews/pr-2/kustomization.yaml\n");
    }

    @Test
    void aFolderRemovedAndWrittenAgainInOneEditHoldsOnlyTheNewFiles() {
        seed("apps/shop/previews/pr-1/kustomization.yaml", "a: 1\n", "apps/shop/previews/pr-1/old.yaml", "b: 1\n");
        assertRelayWritesTheTreeGitWrites(new TreeEdit().remove("apps/shop/previews/pr-1")
                .write("apps/shop/previews/pr-1/kustomization.yaml", "a: 2\n"));
    }

    @Test
    void removingEverythingLeavesTheEmptyTree() {
        assertRelayWritesTheTreeGitWrites(new TreeEdit().remove("apps"));
        assertThat(git(remote, "rev-parse", "main^{tree}").trim())
                .isEqualTo(org.eclipse.jgit.lib.Constants.EMPTY_TREE_ID.name());
    }

    @Test
    void anEditThatChangesNothingCommitsNothing() {
        seed("apps/shop/envs/staging/kustomization.yaml", "a: 1\n");
        String before = git(remote, "rev-parse", "main");

        CommitOutcome outcome = Planners.apply(repository, snapshot -> Optional.of(new PlannedCommit(new TreeEdit()
                .write("apps/shop/envs/staging/kustomization.yaml", "a: 1\n")
                .remove("apps/shop/envs/production")
                .remove("apps/shop/app.yaml/below-a-file")
                .remove("nowhere/at/all"), "nothing", List.of("event-1"))));

        assertThat(outcome.changed()).isFalse();
        assertThat(outcome.commit()).isEqualTo(before.trim());
        assertThat(git(remote, "rev-parse", "main")).isEqualTo(before);
    }

    @Test
    void randomEditsMakeTheTreesGitMakes() throws Exception {
        // A working clone: git edits its files and writes the tree; the relay's builder edits the same tree in the
        // same object database. Entries no edit names (an executable, a symbolic link) keep their modes.
        Path clone = tmp.resolve("random");
        git(tmp, "init", "-q", clone.toString());
        write(clone.resolve("keep/run.sh"), "#!/bin/sh\n");
        clone.resolve("keep/run.sh").toFile().setExecutable(true);
        Files.createSymbolicLink(clone.resolve("keep/link"), Path.of("run.sh"));
        git(clone, "add", "-A");
        org.eclipse.jgit.lib.ObjectId tree = org.eclipse.jgit.lib.ObjectId.fromString(git(clone, "write-tree").trim());
        String[] names = { "a", "a-b", "a.b", "a0", "b" };
        String[] contents = { "1\n", "2\n", "3\n" };
        java.util.Random random = new java.util.Random(12);
        int unchanged = 0;
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(clone.resolve(".git").toFile()).setMustExist(true).build();
                org.eclipse.jgit.lib.ObjectReader reader = repo.newObjectReader()) {
            for (int round = 0; round < 300; round++) {
                List<String> files = new java.util.ArrayList<>();
                try (org.eclipse.jgit.treewalk.TreeWalk walk = new org.eclipse.jgit.treewalk.TreeWalk(reader)) {
                    walk.addTree(tree);
                    walk.setRecursive(true);
                    while (walk.next()) {
                        files.add(walk.getPathString());
                    }
                }
                TreeEdit edit = new TreeEdit();
                int steps = 1 + random.nextInt(4);
                for (int step = 0; step < steps; step++) {
                    StringBuilder path = new StringBuilder(names[random.nextInt(names.length)]);
                    for (int depth = random.nextInt(3); depth > 0; depth--) {
                        path.append('/').append(names[random.nextInt(names.length)]);
                    }
                    if (random.nextInt(3) == 0) {
                        // A file or folder that is there (often), or any path (which may not be).
                        String target = !files.isEmpty() && random.nextBoolean()
                                ? files.get(random.nextInt(files.size())) : path.toString();
                        String[] segments = target.split("/");
                        edit.remove(String.join("/", java.util.Arrays.copyOf(segments,
                                1 + random.nextInt(segments.length))));
                    } else if (edit.writes().keySet().stream().noneMatch(written -> nested(written, path.toString()))) {
                        // (One edit never writes a path both as a file and as a folder: TreeEdit refuses it.)
                        edit.write(path.toString(), contents[random.nextInt(contents.length)]);
                    }
                }
                String expected = treeByGit(clone, edit);
                org.eclipse.jgit.lib.ObjectId actual;
                try (org.eclipse.jgit.lib.ObjectInserter inserter = repo.newObjectInserter()) {
                    actual = TreeUpdate.apply(reader, inserter, tree, edit);
                    inserter.flush();
                }
                assertThat(actual.name()).as("round %d: %s then %s on %s", round, edit.removals(),
                        edit.writes().keySet(), files).isEqualTo(expected);
                unchanged += actual.equals(tree) ? 1 : 0;
                tree = actual;
            }
        }
        // Some edits changed nothing, and the builder said so by giving the same tree back.
        assertThat(unchanged).isPositive();
    }

    @Test
    void foldersTheEditDoesNotNameAreNeverRead() throws Exception {
        // A root whose "other" folder is an object the database does not even hold: an edit of apps/ must not need it.
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(tmp.resolve("partial.git").toFile()).build()) {
            repo.create(true);
            try (org.eclipse.jgit.lib.ObjectInserter inserter = repo.newObjectInserter();
                    org.eclipse.jgit.lib.ObjectReader reader = repo.newObjectReader()) {
                org.eclipse.jgit.lib.TreeFormatter apps = new org.eclipse.jgit.lib.TreeFormatter();
                apps.append("app.yaml", org.eclipse.jgit.lib.FileMode.REGULAR_FILE,
                        inserter.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB, new byte[] { 'x' }));
                org.eclipse.jgit.lib.TreeFormatter root = new org.eclipse.jgit.lib.TreeFormatter();
                root.append("apps", org.eclipse.jgit.lib.FileMode.TREE, inserter.insert(apps));
                org.eclipse.jgit.lib.ObjectId missing = org.eclipse.jgit.lib.ObjectId
                        .fromString("0123456789abcdef0123456789abcdef01234567");
                root.append("other", org.eclipse.jgit.lib.FileMode.TREE, missing);
                org.eclipse.jgit.lib.ObjectId tree = inserter.insert(root);

                org.eclipse.jgit.lib.ObjectId edited = TreeUpdate.apply(reader, inserter, tree,
                        new TreeEdit().write("apps/previews/pr-1/kustomization.yaml", "a: 1\n").remove("apps/app.yaml"));
                inserter.flush();

                try (org.eclipse.jgit.treewalk.TreeWalk walk = new org.eclipse.jgit.treewalk.TreeWalk(reader)) {
                    walk.addTree(edited);
                    List<String> entries = new java.util.ArrayList<>();
                    while (walk.next()) {
                        entries.add(walk.getPathString() + " " + walk.getObjectId(0).name());
                    }
                    assertThat(entries).hasSize(2).contains("other " + missing.name());
                }
                assertThat(reader.has(missing)).isFalse();
            }
        }
    }

    @Test
    void aRenderCopyLeavesOutFoldersUnreadAndPreviewsAreCountedWithoutOpeningThem() throws Exception {
        // Preview pr-2's folder is an object the database does not hold: leaving it out must not need it.
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(tmp.resolve("partial.git").toFile()).build()) {
            repo.create(true);
            org.eclipse.jgit.lib.ObjectId commit;
            try (org.eclipse.jgit.lib.ObjectInserter inserter = repo.newObjectInserter();
                    org.eclipse.jgit.lib.ObjectReader reader = repo.newObjectReader()) {
                org.eclipse.jgit.lib.ObjectId tree = TreeUpdate.apply(reader, inserter, null, new TreeEdit()
                        .write("apps/demo/base/kustomization.yaml", "base\n")
                        .write("apps/demo/previews/pr-1/kustomization.yaml", "pr-1\n")
                        .write("apps/demo/previews/pr-3/kustomization.yaml", "pr-3\n")
                        .write("apps/demo/previews/notes.txt", "not a preview\n"));
                org.eclipse.jgit.lib.ObjectId previews;
                try (org.eclipse.jgit.treewalk.TreeWalk walk = org.eclipse.jgit.treewalk.TreeWalk.forPath(reader,
                        "apps/demo/previews", tree)) {
                    previews = walk.getObjectId(0);
                }
                // pr-2 is added by hand, pointing at a folder that is not there.
                org.eclipse.jgit.lib.TreeFormatter withMissing = new org.eclipse.jgit.lib.TreeFormatter();
                try (org.eclipse.jgit.treewalk.TreeWalk walk = new org.eclipse.jgit.treewalk.TreeWalk(reader)) {
                    walk.addTree(previews);
                    while (walk.next()) {
                        if (walk.getNameString().equals("pr-3")) {
                            withMissing.append("pr-2", org.eclipse.jgit.lib.FileMode.TREE,
                                    org.eclipse.jgit.lib.ObjectId.fromString("0123456789abcdef0123456789abcdef01234567"));
                        }
                        withMissing.append(walk.getNameString(), walk.getFileMode(0), walk.getObjectId(0));
                    }
                }
                org.eclipse.jgit.lib.ObjectId previewsTree = inserter.insert(withMissing);
                org.eclipse.jgit.lib.TreeFormatter demo = new org.eclipse.jgit.lib.TreeFormatter();
                try (org.eclipse.jgit.treewalk.TreeWalk walk = org.eclipse.jgit.treewalk.TreeWalk.forPath(reader,
                        "apps/demo/base", tree)) {
                    demo.append("base", org.eclipse.jgit.lib.FileMode.TREE, walk.getObjectId(0));
                }
                demo.append("previews", org.eclipse.jgit.lib.FileMode.TREE, previewsTree);
                org.eclipse.jgit.lib.TreeFormatter apps = new org.eclipse.jgit.lib.TreeFormatter();
                apps.append("demo", org.eclipse.jgit.lib.FileMode.TREE, inserter.insert(demo));
                org.eclipse.jgit.lib.TreeFormatter root = new org.eclipse.jgit.lib.TreeFormatter();
                root.append("apps", org.eclipse.jgit.lib.FileMode.TREE, inserter.insert(apps));
                org.eclipse.jgit.lib.CommitBuilder builder = new org.eclipse.jgit.lib.CommitBuilder();
                builder.setTreeId(inserter.insert(root));
                org.eclipse.jgit.lib.PersonIdent someone = new org.eclipse.jgit.lib.PersonIdent("t", "t@example.org");
                builder.setAuthor(someone);
                builder.setCommitter(someone);
                builder.setMessage("previews");
                commit = inserter.insert(builder);
                inserter.flush();
            }
            try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(repo)) {
                Snapshot snapshot = new Snapshot(repo, commit, walk.parseCommit(commit).getTree(), new CommitFacts.Cache());
                Path target = Files.createDirectories(tmp.resolve("render"));
                String previews = "apps/demo/previews/";
                String self = "apps/demo/previews/pr-1/";

                snapshot.materialize("apps/demo", new TreeEdit().write(self + "patch.yaml", "patch\n"), target,
                        path -> path.equals(previews) || !path.startsWith(previews) || path.startsWith(self));

                try (java.util.stream.Stream<Path> files = Files.walk(target)) {
                    assertThat(files.filter(Files::isRegularFile).map(file -> target.relativize(file).toString()))
                            .containsExactlyInAnyOrder("apps/demo/base/kustomization.yaml",
                                    "apps/demo/previews/pr-1/kustomization.yaml", "apps/demo/previews/pr-1/patch.yaml");
                }
                assertThat(snapshot.countFolders("apps/demo/previews")).isEqualTo(3);
                assertThat(snapshot.countFolders("apps/demo/base")).isZero();
                assertThat(snapshot.countFolders("apps/nowhere")).isZero();
            }
        }
    }

    private static boolean nested(String a, String b) {
        return a.startsWith(b + "/") || b.startsWith(a + "/");
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
