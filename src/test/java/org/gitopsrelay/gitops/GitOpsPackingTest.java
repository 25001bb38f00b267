package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.Housekeeping.Count;
import org.gitopsrelay.gitops.Housekeeping.Fine;
import org.gitopsrelay.gitops.Housekeeping.Pack;
import org.gitopsrelay.gitops.Housekeeping.Wait;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.testing.Planners;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * The relay packs the repositories it owns itself, when idle, instead of JGit doing it in the middle of a burst: real
 * JGit on real repositories, checked with {@code git fsck} and {@code git log}.
 */
class GitOpsPackingTest {

    @TempDir
    Path tmp;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private GitOpsRepository repository;

    /** A relay on its own local GitOps repository (no relay.gitops.url), with packing settings. */
    private GitOpsRepository relay(String... keyValues) {
        RelayConfig config = TestConfig.relay(tmp.resolve("data"), keyValues);
        repository = new GitOpsRepository(config, new GitOpsRemote(config), metrics,
                OpenTelemetry.noop().getTracer("test"));
        return repository;
    }

    @AfterEach
    void tearDown() {
        if (repository != null) {
            repository.close();
        }
    }

    /** Commits file-{@code first} to file-{@code last}, one push each. */
    private static void commits(GitOpsRepository relay, int first, int last) {
        for (int i = first; i <= last; i++) {
            int n = i;
            PlannedCommit commit = new PlannedCommit(
                    new TreeEdit().write("apps/shop/file-" + n + ".yaml", "n: " + n + "\n"), "Change " + n,
                    List.of("event-" + n));
            Planners.apply(relay, snapshot -> Optional.of(commit));
        }
    }

    private Path cache() {
        return tmp.resolve("data/gitops-cache.git");
    }

    private Path local() {
        return tmp.resolve("data/gitops.git");
    }

    @Test
    void theRelayTurnsJGitsOwnPackingOffInItsCacheAndItsLocalRepository() {
        commits(relay(), 1, 1);

        for (Path dir : List.of(cache(), local())) {
            assertThat(git(tmp, "--git-dir", dir.toString(), "config", "gc.auto").trim()).isEqualTo("0");
            assertThat(git(tmp, "--git-dir", dir.toString(), "config", "gc.autoPackLimit").trim()).isEqualTo("0");
        }
    }

    @Test
    void repositoriesPastTheLimitsArePackedOnceTheRelayIsIdleAndKeepEveryCommit() throws Exception {
        GitOpsRepository relay = relay("relay.gitops.packing.loose-limit", "5", "relay.gitops.packing.pack-limit", "3",
                "relay.gitops.packing.idle", "PT0S");
        commits(relay, 1, 8);
        Count before = Housekeeping.count(local());
        assertThat(before.packs()).as("a pack for every push received").isGreaterThan(3);

        Map<String, Housekeeping.Decision> decisions = relay.packWhenDue();

        assertThat(decisions.get("cache")).isInstanceOf(Pack.class);
        assertThat(decisions.get("local")).isInstanceOf(Pack.class);
        for (Path dir : List.of(cache(), local())) {
            assertThat(Housekeeping.count(dir)).as(dir.toString()).isEqualTo(new Count(1, 0));
            git(tmp, "--git-dir", dir.toString(), "fsck", "--strict", "--no-dangling");
        }
        assertThat(git(tmp, "--git-dir", local().toString(), "rev-list", "--count", "main").trim()).isEqualTo("8");
        assertThat(metrics.timer(RelayMetrics.GIT_PACKING, "repository", "local", "outcome", "packed").count())
                .isEqualTo(1);
        // The relay writes on as before, on the packed cache.
        commits(relay, 9, 9);
        assertThat(git(tmp, "--git-dir", local().toString(), "show", "main:apps/shop/file-9.yaml")).isEqualTo("n: 9\n");
        assertThat(relay.packWhenDue().get("cache")).as("packed just now: under the limits again")
                .isInstanceOf(Fine.class);
    }

    @Test
    void looseObjectsNoCommitReachesDoNotMakeEveryCheckPackAgain() throws Exception {
        GitOpsRepository relay = relay("relay.gitops.packing.loose-limit", "5", "relay.gitops.packing.idle", "PT0S");
        commits(relay, 1, 1);
        // What rejected pushes leave behind: objects no commit reaches, kept by a packing for Git's grace period.
        try (org.eclipse.jgit.lib.Repository cache = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(cache().toFile()).build();
                org.eclipse.jgit.lib.ObjectInserter inserter = cache.newObjectInserter()) {
            for (int i = 0; i < 20; i++) {
                inserter.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB, ("orphan " + i).getBytes());
            }
            inserter.flush();
        }

        assertThat(relay.packWhenDue().get("cache")).isInstanceOf(Pack.class);
        assertThat(Housekeeping.count(cache()).looseObjects()).as("kept for their grace period").isGreaterThan(5);

        assertThat(relay.packWhenDue().get("cache")).as("nothing new since").isInstanceOf(Fine.class);
        assertThat(metrics.timer(RelayMetrics.GIT_PACKING, "repository", "cache", "outcome", "packed").count())
                .isEqualTo(1);
    }

    @Test
    void aRepositoryPastTheLimitsWaitsWhileTheRelayIsBusy() throws Exception {
        GitOpsRepository relay = relay("relay.gitops.packing.loose-limit", "5", "relay.gitops.packing.idle", "PT1H");
        commits(relay, 1, 2);
        Count before = Housekeeping.count(cache());

        Housekeeping.Decision decision = relay.packWhenDue().get("cache");

        assertThat(decision).isEqualTo(new Wait(before));
        assertThat(Housekeeping.count(cache())).isEqualTo(before);
        assertThat(metrics.find(RelayMetrics.GIT_PACKING).timers()).isEmpty();
    }

    @Test
    void aRepositoryPackedWhileBusyOnlyFarPastALimit() {
        Duration busy = Duration.ofSeconds(1);
        Duration idle = Duration.ofSeconds(10);
        assertThat(Housekeeping.decide(new Count(50, 6700), 50, 6700, busy, idle)).isInstanceOf(Fine.class);
        assertThat(Housekeeping.decide(new Count(51, 0), 50, 6700, busy, idle)).isInstanceOf(Wait.class);
        assertThat(Housekeeping.decide(new Count(51, 0), 50, 6700, idle, idle)).isEqualTo(new Pack(new Count(51, 0),
                false));
        assertThat(Housekeeping.decide(new Count(200, 0), 50, 6700, busy, idle)).isInstanceOf(Wait.class);
        assertThat(Housekeeping.decide(new Count(201, 0), 50, 6700, busy, idle)).isEqualTo(new Pack(new Count(201, 0),
                true));
        assertThat(Housekeeping.decide(new Count(1, 26_801), 50, 6700, busy, idle)).isInstanceOf(Pack.class);
    }

    @Test
    void aPackingThatFailsIsCountedAndLosesNothing() throws Exception {
        GitOpsRepository relay = relay("relay.gitops.packing.loose-limit", "5", "relay.gitops.packing.idle", "PT0S");
        commits(relay, 1, 3);
        // A ref to an object that is not there: the walk that packs fails, as on a corrupted repository.
        Files.writeString(cache().resolve("refs/heads/broken"), "1234567890123456789012345678901234567890\n");
        Count before = Housekeeping.count(cache());

        assertThat(relay.packWhenDue().get("cache")).isInstanceOf(Pack.class);

        assertThat(metrics.timer(RelayMetrics.GIT_PACKING, "repository", "cache", "outcome", "failed").count())
                .isEqualTo(1);
        assertThat(Housekeeping.count(cache()).looseObjects()).isEqualTo(before.looseObjects());
        Files.delete(cache().resolve("refs/heads/broken"));
        git(tmp, "--git-dir", cache().toString(), "fsck", "--strict", "--no-dangling");
        commits(relay, 4, 4);
        assertThat(git(tmp, "--git-dir", local().toString(), "rev-list", "--count", "main").trim()).isEqualTo("4");
    }
}
