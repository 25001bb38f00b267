package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.gitopsrelay.app.Onboarding;
import org.gitopsrelay.kafka.EmbeddedKafkaBroker;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service as real processes, on a real Kafka broker and a real GitOps remote, killed with
 * {@code kill -9} in the middle of a burst of pushes: after a restart on the same data, or with a second instance of
 * the same consumer group taking over, every accepted push's change lands, and no event is committed twice. Each run
 * prints its figures: events accepted, commits, lost, duplicated.
 */
class CrashAndScaleOutProcessTest {

    private static final int APPS = 8;
    private static final int PUSHES_PER_APP = 12;
    private static final Duration DRAIN = Duration.ofSeconds(150);

    @TempDir
    Path tmp;

    private EmbeddedKafkaBroker broker;
    private Path remote;
    private final List<RelayProcess> processes = new ArrayList<>();
    /** Per app: the shas accepted, in order, and their event ids. */
    private final Map<String, List<String>> shas = new LinkedHashMap<>();
    private final List<String> accepted = new ArrayList<>();

    @BeforeEach
    void brokerAndRemote() throws Exception {
        broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), null);
        remote = tmp.resolve("gitops.git");
        git(tmp, "init", "-q", "--bare", "-b", "main", remote.toString());
        Path seed = tmp.resolve("seed");
        git(tmp, "clone", "-q", remote.toString(), seed.toString());
        for (int i = 1; i <= APPS; i++) {
            String app = "app-" + i;
            Onboarding.app(app, """
                    name: %1$s
                    source: {repository: github.com/fault/%1$s}
                    image: {repository: registry.example.org/fault/%1$s, tag: "{sha}"}
                    environments:
                      staging: {branch: main}
                    """.formatted(app)).writes().forEach((path, bytes) -> {
                        try {
                            Path file = seed.resolve(path);
                            Files.createDirectories(file.getParent());
                            Files.write(file, bytes);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            shas.put(app, new ArrayList<>());
        }
        git(seed, "add", "-A");
        git(seed, "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-qm", "Onboard the apps");
        git(seed, "push", "-q", "origin", "HEAD:main");
    }

    @AfterEach
    void stop() {
        processes.forEach(RelayProcess::close);
        broker.close();
    }

    private RelayProcess start(String name) {
        RelayProcess process = RelayProcess.start(tmp.resolve(name), broker.bootstrapServers(),
                remote.toUri().toString(), Map.of(
                        "RELAY_KAFKA_HANDLER_ATTEMPTS", "5",
                        "RELAY_KAFKA_HANDLER_BACKOFF", "PT0.2S",
                        "RELAY_KAFKA_HANDLER_MAX_BACKOFF", "PT1S"));
        processes.add(process);
        return process;
    }

    /** Round {@code round} of pushes: one more push to each app, chained on its previous one, sent to {@code to}. */
    private void pushRound(RelayProcess to) {
        for (Map.Entry<String, List<String>> app : shas.entrySet()) {
            List<String> sent = app.getValue();
            String before = sent.isEmpty() ? "0000000000000000000000000000000000000001" : sent.get(sent.size() - 1);
            String sha = Fixtures.sha();
            to.push("fault/" + app.getKey(), before, sha, Fixtures.nextPushTime()).ifPresent(id -> {
                accepted.add(id);
                sent.add(sha);
            });
        }
    }

    private String onMain(String... args) {
        List<String> command = new ArrayList<>(List.of("--git-dir=" + remote));
        command.addAll(List.of(args));
        return git(tmp, command.toArray(String[]::new));
    }

    /**
     * Waits until the service has pushed its first commit: the kill then comes while the backlog drains, between a
     * push and the commit of its batch's offsets (committed every few seconds), as well as before any.
     */
    private void awaitFirstRelayCommit() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Long.parseLong(onMain("rev-list", "--count", "--grep=^Relay-Event:", "main").strip()) == 0
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private boolean everyAppHoldsItsLastPush() {
        for (Map.Entry<String, List<String>> app : shas.entrySet()) {
            List<String> sent = app.getValue();
            if (!sent.isEmpty() && !onMain("show", "main:apps/" + app.getKey() + "/envs/staging/kustomization.yaml")
                    .contains(sent.get(sent.size() - 1))) {
                return false;
            }
        }
        return true;
    }

    private int appsAtTheirLastPush() {
        int count = 0;
        for (Map.Entry<String, List<String>> app : shas.entrySet()) {
            List<String> sent = app.getValue();
            if (!sent.isEmpty() && onMain("show", "main:apps/" + app.getKey() + "/envs/staging/kustomization.yaml")
                    .contains(sent.get(sent.size() - 1))) {
                count++;
            }
        }
        return count;
    }

    /** Waits for every app to hold its last accepted push, then checks and prints what landed. */
    private void assertEveryAcceptedChangeLandedOnce(String run) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (!everyAppHoldsItsLastPush() && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        Map<String, Long> named = Arrays.stream(onMain("log", "--format=%(trailers:key=Relay-Event,valueonly)", "main")
                .split("\n")).map(String::strip).filter(line -> !line.isEmpty())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        List<String> lost = accepted.stream().filter(id -> !named.containsKey(id)).toList();
        List<String> duplicated = accepted.stream().filter(id -> named.getOrDefault(id, 0L) > 1).toList();
        System.out.printf("%s: accepted=%d commits=%d lost=%d duplicated=%d apps at their last push=%d/%d%n", run,
                accepted.size(), Long.parseLong(onMain("rev-list", "--count", "--grep=^Relay-Event:", "main").strip()),
                lost.size(), duplicated.size(), appsAtTheirLastPush(), APPS);
        assertThat(everyAppHoldsItsLastPush()).as("every app holds its last accepted push within %s;\n%s", DRAIN,
                processes.get(processes.size() - 1).tail()).isTrue();
        assertThat(lost).as("accepted events named in no commit").isEmpty();
        assertThat(duplicated).as("accepted events named in two commits").isEmpty();
    }

    @Test
    void aServiceKilledWhileABacklogDrainsLandsEveryChangeOnceAfterARestartOnTheSameData() throws Exception {
        RelayProcess first = start("relay");
        for (int round = 0; round < PUSHES_PER_APP / 2; round++) {
            pushRound(first);
        }
        awaitFirstRelayCommit();
        first.kill();
        int atKill = appsAtTheirLastPush();
        Instant killed = Instant.now();

        RelayProcess restarted = start("relay");
        for (int round = PUSHES_PER_APP / 2; round < PUSHES_PER_APP; round++) {
            pushRound(restarted);
        }

        System.out.printf("kill -9 with %d of %d apps at their last push; restarted in %d ms%n", atKill, APPS,
                Duration.between(killed, Instant.now()).toMillis());
        assertEveryAcceptedChangeLandedOnce("restart after kill -9");
    }

    @Test
    void twoInstancesShareTheWorkAndWhenOneIsKilledTheOtherTakesOver() throws Exception {
        RelayProcess one = start("relay-1");
        RelayProcess two = start("relay-2");
        for (int round = 0; round < PUSHES_PER_APP / 2; round++) {
            pushRound(round % 2 == 0 ? one : two);
        }
        awaitFirstRelayCommit();
        one.kill();
        int deployedByOne = one.logLines("Deployed ").size();
        for (int round = PUSHES_PER_APP / 2; round < PUSHES_PER_APP; round++) {
            pushRound(two);
        }

        assertEveryAcceptedChangeLandedOnce("two instances, one killed");
        System.out.printf("deployments by the killed instance: %d, by the survivor: %d%n", deployedByOne,
                two.logLines("Deployed ").size());
        assertThat(two.logLines("Deployed ")).as("the survivor deployed too").isNotEmpty();
    }
}
