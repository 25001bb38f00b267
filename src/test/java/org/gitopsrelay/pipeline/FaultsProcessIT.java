package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.gitopsrelay.testing.ProcessBurst;
import org.gitopsrelay.testing.RelayProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fault suite on the packaged service as a process, bounded to a few seconds of fault each (their long versions
 * are in {@code bench/}): the broker restarted mid-burst, a person pushing to the GitOps branch all along, the GitOps
 * remote gone until the events are dead-lettered and then replayed, the data dir's disk full. Each run prints events accepted, commits, lost
 * and duplicated; lost and duplicated must be 0.
 */
class FaultsProcessIT {

    /** Bounded in the suite; {@code bench/faults.sh} runs it longer and wider with these properties. */
    private static final int APPS = Integer.getInteger("fault.apps", 6);
    private static final int ROUNDS = Integer.getInteger("fault.rounds", 10);
    private static final Duration OUTAGE = Duration.parse(System.getProperty("fault.outage", "PT3S"));
    private static final String TOKEN = "faults-api-token";
    private static final Pattern DEAD_LETTERS = Pattern.compile(
            "relay_dead_letters_total\\{reason=\"git-unavailable\"[^}]*\\} ([0-9.]+)");

    @RegisterExtension
    final ProcessBurst burst = new ProcessBurst(APPS);

    @Test
    void aBrokerRestartedMidBurstLosesNothing() throws Exception {
        // Kafka's acknowledgement is awaited 1 s, so that a webhook sent while the broker is down is refused (a
        // shorter outage than the send timeout is absorbed: the send completes once the broker is back).
        RelayProcess relay = burst.start("relay", Map.of("RELAY_KAFKA_SEND_TIMEOUT", "PT1S"));
        for (int round = 0; round < ROUNDS / 2; round++) {
            burst.pushRound(relay, Duration.ZERO);
        }
        burst.awaitFirstRelayCommit();

        int[] ports = burst.stopBroker();
        int atStop = burst.appsAtTheirLastPush();
        Thread restart = new Thread(() -> {
            try {
                Thread.sleep(OUTAGE.toMillis());
                burst.startBrokerAgain(ports);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        restart.start();
        // Sent while the broker is down: answered 503 and sent again, under the same delivery id, until accepted.
        for (int round = ROUNDS / 2; round < ROUNDS; round++) {
            assertThat(burst.pushRound(relay, Duration.ofSeconds(90).plus(OUTAGE)))
                    .as("pushes accepted once the broker is back").isEqualTo(APPS);
        }
        restart.join();

        System.out.printf("broker down with %d of %d apps at their last push; %d webhooks refused while it was%n",
                atStop, APPS, burst.refused());
        assertThat(atStop).as("the broker stopped mid-drain").isLessThan(APPS);
        assertThat(burst.refused()).as("webhooks answered 503 while the broker was down").isPositive();
        burst.assertEveryAcceptedChangeLandedOnce("broker restarted mid-burst");
    }

    @Test
    void aPersonPushingToTheGitOpsBranchAllAlongLosesNoUpdateAndNeitherDoesTheRelay() throws Exception {
        RelayProcess relay = burst.start("relay", Map.of());
        Path clone = burst.dir().resolve("person");
        git(burst.dir(), "clone", "-q", burst.remote().toString(), clone.toString());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger pushed = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread person = new Thread(() -> {
            try {
                while (writing.get()) {
                    int n = pushed.get() + 1;
                    Files.createDirectories(clone.resolve("notes"));
                    Files.writeString(clone.resolve("notes/note-" + n + ".txt"), "note " + n + "\n");
                    git(clone, "add", "-A");
                    git(clone, "-c", "user.name=person", "-c", "user.email=p@example.org", "commit", "-qm",
                            "Note " + n);
                    pushBeatenOrNot(clone);
                    pushed.incrementAndGet();
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        person.start();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                burst.pushRound(relay, Duration.ZERO);
            }
            burst.assertEveryAcceptedChangeLandedOnce("a person pushing all along");
            assertThat(person.isAlive()).as("the person still pushing at the end (%s)", failed.get()).isTrue();
        } finally {
            writing.set(false);
            person.join();
        }

        int notes = pushed.get();
        double conflicts = metric(relay, "relay_git_push_conflicts_total");
        System.out.printf("the person pushed %d notes meanwhile; the relay's pushes were rejected %.0f times%n",
                notes, conflicts);
        assertThat(failed.get()).as("the person's pushes").isNull();
        assertThat(conflicts).as("relay pushes rejected because the person pushed first").isPositive();
        for (int n = 1; n <= notes; n++) {
            assertThat(burst.onMain("show", "main:notes/note-" + n + ".txt")).as("note %d", n).contains("note " + n);
        }
    }

    /** Pushes the person's commit, taking what the relay pushed first and pushing again, as a person does. */
    private static void pushBeatenOrNot(Path clone) throws InterruptedException {
        for (int attempt = 1;; attempt++) {
            try {
                git(clone, "pull", "-q", "--rebase", "origin", "main");
                git(clone, "push", "-q", "origin", "HEAD:main");
                return;
            } catch (RuntimeException rejected) {
                if (attempt >= 50) {
                    throw rejected;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void aGitOpsRemoteGoneUntilItsEventsAreDeadLetteredLosesNothingOnceTheyAreReplayed() throws Exception {
        RelayProcess relay = burst.start("relay", Map.of("RELAY_API_TOKEN", TOKEN,
                "RELAY_KAFKA_HANDLER_ATTEMPTS", "3", "RELAY_KAFKA_HANDLER_MAX_BACKOFF", "PT0.5S"));
        burst.pushRound(relay, Duration.ZERO);
        burst.awaitEveryAppAtItsLastPush();
        Path away = burst.dir().resolve("gitops.git.away");
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
        assertThat(gone).as("pushes accepted while the remote was gone").isEqualTo(2 * APPS);
        assertThat(deadLetters(relay)).as("events dead-lettered after bounded retries").isEqualTo(gone);

        var replay = relay.call("POST", "/api/dead-letters/replay", TOKEN);
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        burst.pushRound(relay, Duration.ZERO);

        burst.assertEveryAcceptedChangeLandedOnce("remote gone, dead-lettered, replayed");
    }

    @Test
    void aFullDiskIsRetriedNotDeadLetteredAndEveryChangeLandsOnceThereIsRoomAgain() throws Exception {
        // The service's data dir on a small file system of its own, which the test fills.
        Path data = Files.createDirectories(burst.dir().resolve("relay"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", data.toString()) == 0,
                "mounting a tmpfs needs root: the disk-full fault cannot be staged here");
        RelayProcess relay = null;
        try {
            relay = burst.start("relay", Map.of("RELAY_KAFKA_HANDLER_ATTEMPTS", "100",
                    "RELAY_KAFKA_HANDLER_MAX_BACKOFF", "PT0.5S"));
            burst.pushRound(relay, Duration.ZERO);
            burst.awaitEveryAppAtItsLastPush();
            Path filler = data.resolve("filler");
            fill(filler);

            int accepted = burst.pushRound(relay, Duration.ZERO);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (storageRetries(relay) == 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            double retries = storageRetries(relay);
            double deadLettered = allDeadLetters(relay);
            System.out.printf("disk full: %d pushes accepted, %.0f retries as storage-unavailable, %.0f dead letters;"
                    + " %s%n", accepted, retries, deadLettered, relay.logLines("No space left on device").stream()
                            .findFirst().map(line -> "logged: No space left on device").orElse("no ENOSPC logged"));
            assertThat(accepted).isEqualTo(APPS);
            assertThat(retries).as("a full disk is retried").isPositive();
            assertThat(deadLettered).as("and never dead-lettered at once").isZero();
            assertThat(relay.logLines("No space left on device")).as("the cause is in the log").isNotEmpty();

            Files.delete(filler);
            burst.pushRound(relay, Duration.ZERO);
            burst.assertEveryAcceptedChangeLandedOnce("disk full, then room again");
            assertThat(allDeadLetters(relay)).isZero();
        } finally {
            if (relay != null) {
                relay.close();
            }
            run("umount", "-l", data.toString());
        }
    }

    /** Writes zeros to {@code file} until the file system holding it is full. */
    private static void fill(Path file) throws IOException {
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        int exit = process.waitFor();
        if (exit != 0) {
            System.out.println(String.join(" ", command) + ": " + output.strip());
        }
        return exit;
    }

    private static double storageRetries(RelayProcess relay) {
        Matcher m = Pattern.compile("(?m)^relay_handler_retries_total\\{reason=\"storage-unavailable\"[^}]*\\} ([0-9.E]+)")
                .matcher(relay.call("GET", "/q/metrics", null).body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static double allDeadLetters(RelayProcess relay) {
        Matcher m = Pattern.compile("(?m)^relay_dead_letters_total\\{[^}]*\\} ([0-9.E]+)")
                .matcher(relay.call("GET", "/q/metrics", null).body());
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    private static double deadLetters(RelayProcess relay) {
        Matcher m = DEAD_LETTERS.matcher(relay.call("GET", "/q/metrics", null).body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static double metric(RelayProcess relay, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.E]+)")
                .matcher(relay.call("GET", "/q/metrics", null).body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
