package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.gitopsrelay.testing.ProcessBurst;
import org.gitopsrelay.testing.RelayProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite on the packaged service as a process, bounded to a few seconds of fault each (their long versions
 * are in {@code bench/}): the broker restarted mid-burst, a person pushing to the GitOps branch all along, the GitOps
 * remote gone until the events are dead-lettered and then replayed. Each run prints events accepted, commits, lost
 * and duplicated; lost and duplicated must be 0.
 */
class FaultsProcessTest {

    /** Bounded in the suite; {@code bench/faults.sh} runs it longer and wider with these properties. */
    private static final int APPS = Integer.getInteger("fault.apps", 6);
    private static final int ROUNDS = Integer.getInteger("fault.rounds", 10);
    private static final Duration OUTAGE = Duration.parse(System.getProperty("fault.outage", "PT3S"));
    private static final String TOKEN = "faults-api-token";
    private static final Pattern DEAD_LETTERS = Pattern.compile(
            "relay_dead_letters_total\\{reason=\"git-unavailable\"[^}]*\\} ([0-9.]+)");

    @TempDir
    Path tmp;

    private ProcessBurst burst;

    @BeforeEach
    void brokerAndRemote() throws Exception {
        burst = new ProcessBurst(tmp, APPS);
    }

    @AfterEach
    void stop() {
        burst.close();
    }

    @Test
    void aBrokerRestartedMidBurstLosesNothing() throws Exception {
        RelayProcess relay = burst.start("relay", Map.of());
        for (int round = 0; round < ROUNDS / 2; round++) {
            burst.pushRound(relay, Duration.ZERO);
        }
        burst.awaitFirstRelayCommit();

        burst.restartBroker(OUTAGE);
        // Webhooks answer 503 until the service's producer reaches the broker again; GitHub would redeliver.
        for (int round = ROUNDS / 2; round < ROUNDS; round++) {
            assertThat(burst.pushRound(relay, Duration.ofSeconds(60))).as("pushes accepted once the broker is back")
                    .isEqualTo(APPS);
        }

        burst.assertEveryAcceptedChangeLandedOnce("broker restarted mid-burst");
    }

    @Test
    void aPersonPushingToTheGitOpsBranchAllAlongLosesNoUpdateAndNeitherDoesTheRelay() throws Exception {
        RelayProcess relay = burst.start("relay", Map.of());
        Path clone = tmp.resolve("person");
        git(tmp, "clone", "-q", burst.remote().toString(), clone.toString());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger pushed = new AtomicInteger();
        Thread person = new Thread(() -> {
            while (writing.get()) {
                int n = pushed.get() + 1;
                try {
                    Files.createDirectories(clone.resolve("notes"));
                    Files.writeString(clone.resolve("notes/note-" + n + ".txt"), "note " + n + "\n");
                    git(clone, "add", "-A");
                    git(clone, "-c", "user.name=person", "-c", "user.email=p@example.org", "commit", "-qm",
                            "Note " + n);
                    // Beaten by the relay: take its commits and push again, as a person does.
                    for (int attempt = 0; attempt < 20; attempt++) {
                        try {
                            git(clone, "pull", "-q", "--rebase", "origin", "main");
                            git(clone, "push", "-q", "origin", "HEAD:main");
                            pushed.incrementAndGet();
                            break;
                        } catch (RuntimeException rejected) {
                            Thread.sleep(20);
                        }
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        person.start();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                burst.pushRound(relay, Duration.ZERO);
            }
            burst.assertEveryAcceptedChangeLandedOnce("a person pushing all along");
        } finally {
            writing.set(false);
            person.join();
        }

        int notes = pushed.get();
        System.out.printf("the person pushed %d notes meanwhile%n", notes);
        assertThat(notes).as("the person's pushes").isPositive();
        for (int n = 1; n <= notes; n++) {
            assertThat(burst.onMain("show", "main:notes/note-" + n + ".txt")).as("note %d", n).contains("note " + n);
        }
    }

    @Test
    void aGitOpsRemoteGoneUntilItsEventsAreDeadLetteredLosesNothingOnceTheyAreReplayed() throws Exception {
        RelayProcess relay = burst.start("relay", Map.of("RELAY_API_TOKEN", TOKEN,
                "RELAY_KAFKA_HANDLER_ATTEMPTS", "3", "RELAY_KAFKA_HANDLER_MAX_BACKOFF", "PT0.5S"));
        burst.pushRound(relay, Duration.ZERO);
        burst.awaitEveryAppAtItsLastPush();
        Path away = tmp.resolve("gitops.git.away");
        Files.move(burst.remote(), away);
        int gone;
        try {
            long outageEnds = System.nanoTime() + OUTAGE.toNanos();
            gone = burst.pushRound(relay, Duration.ZERO) + burst.pushRound(relay, Duration.ZERO);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).plus(OUTAGE).toNanos();
            while ((deadLetters(relay) < gone || System.nanoTime() < outageEnds) && System.nanoTime() < deadline) {
                Thread.sleep(250);
            }
        } finally {
            Files.move(away, burst.remote());
        }
        System.out.printf("dead-lettered while the remote was gone: %.0f of %d%n", deadLetters(relay), gone);
        assertThat(deadLetters(relay)).as("events dead-lettered after bounded retries").isEqualTo(gone);

        var replay = relay.call("POST", "/api/dead-letters/replay", TOKEN);
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        burst.pushRound(relay, Duration.ZERO);

        burst.assertEveryAcceptedChangeLandedOnce("remote gone, dead-lettered, replayed");
    }

    private static double deadLetters(RelayProcess relay) {
        Matcher m = DEAD_LETTERS.matcher(relay.call("GET", "/q/metrics", null).body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
