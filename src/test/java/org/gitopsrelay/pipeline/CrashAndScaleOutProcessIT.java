package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.gitopsrelay.testing.ProcessBurst;
import org.gitopsrelay.testing.RelayProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged service as real processes, on a real Kafka broker and a real GitOps remote, killed with
 * {@code kill -9} in the middle of a burst of pushes: after a restart on the same data, or with a second instance of
 * the same consumer group taking over, every accepted push's change lands, and no event is committed twice. Each run
 * prints its figures: events accepted, commits, lost, duplicated.
 */
class CrashAndScaleOutProcessIT {

    /** Bounded in the suite; {@code bench/faults.sh} runs it wider and longer with these properties. */
    private static final int APPS = Integer.getInteger("fault.apps", 8);
    private static final int ROUNDS = Integer.getInteger("fault.rounds", 12);
    private static final Duration NOW = Duration.ZERO;

    @RegisterExtension
    final ProcessBurst burst = new ProcessBurst(APPS);

    @Test
    void aServiceKilledWhileABacklogDrainsLandsEveryChangeOnceAfterARestartOnTheSameData() throws Exception {
        RelayProcess first = burst.start("relay", Map.of());
        for (int round = 0; round < ROUNDS / 2; round++) {
            burst.pushRound(first, NOW);
        }
        burst.awaitFirstRelayCommit();
        burst.kill(first);
        int atKill = burst.appsAtTheirLastPush();
        Instant killed = Instant.now();

        RelayProcess restarted = burst.start("relay", Map.of());
        System.out.printf("kill -9 with %d of %d apps at their last push; restarted in %d ms%n", atKill, APPS,
                Duration.between(killed, Instant.now()).toMillis());
        assertThat(atKill).as("apps at their last push when killed: the kill came mid-drain").isLessThan(APPS);
        for (int round = ROUNDS / 2; round < ROUNDS; round++) {
            burst.pushRound(restarted, NOW);
        }

        burst.assertEveryAcceptedChangeLandedOnce("restart after kill -9");
    }

    @Test
    void twoInstancesShareTheWorkAndWhenOneIsKilledTheOtherTakesOver() throws Exception {
        RelayProcess one = burst.start("relay-1", Map.of());
        RelayProcess two = burst.start("relay-2", Map.of());
        for (int round = 0; round < ROUNDS / 2; round++) {
            burst.pushRound(round % 2 == 0 ? one : two, NOW);
        }
        // Killed once it has deployed (its partitions have work: apps 1-8 fall on all three), mid-drain.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (one.logLines("Deployed ").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        burst.kill(one);
        int deployedByOne = one.logLines("Deployed ").size();
        for (int round = ROUNDS / 2; round < ROUNDS; round++) {
            burst.pushRound(two, NOW);
        }

        burst.assertEveryAcceptedChangeLandedOnce("two instances, one killed");
        System.out.printf("deployments by the killed instance: %d, by the survivor: %d%n", deployedByOne,
                two.logLines("Deployed ").size());
        assertThat(deployedByOne).as("the killed instance had its share of the work").isPositive();
        assertThat(two.logLines("Deployed ")).as("the survivor deployed too").isNotEmpty();
    }
}
