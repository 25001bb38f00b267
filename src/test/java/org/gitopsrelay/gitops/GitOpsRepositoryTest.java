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
                Snapshot snapshot = new Snapshot(repo, commit, walk.parseCommit(commit).getTree());
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

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
