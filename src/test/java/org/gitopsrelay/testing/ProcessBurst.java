package org.gitopsrelay.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.gitopsrelay.app.Onboarding;
import org.gitopsrelay.kafka.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up of a fault run on real processes: a Kafka broker of its own, a GitOps remote onboarding {@code apps}
 * apps (each with staging following main), the service processes, and the pushes accepted so far; and the check
 * every run ends with: every app holds its last accepted push, every accepted event is named in exactly one commit.
 */
public final class ProcessBurst implements BeforeEachCallback, AfterEachCallback {

    private final Duration drain;
    private final int apps;
    private final List<RelayProcess> processes = new ArrayList<>();
    private final Map<String, List<String>> shas = new LinkedHashMap<>();
    private final List<String> accepted = new ArrayList<>();
    private Path dir;
    private Path remote;
    private EmbeddedKafkaBroker broker;
    private org.eclipse.jgit.lib.Repository remoteRepository;
    private int refused;

    /** Registered with {@code @RegisterExtension}: each test gets its own broker, remote and processes. */
    public ProcessBurst(int apps) {
        this.apps = apps;
        // Time to drain grows with the run: bench/faults.sh runs it wider.
        this.drain = Duration.ofSeconds(120 + apps * 5L);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("process-burst-");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), null);
        remote = dir.resolve("gitops.git");
        git(dir, "init", "-q", "--bare", "-b", "main", remote.toString());
        Path seed = dir.resolve("seed");
        git(dir, "clone", "-q", remote.toString(), seed.toString());
        for (int i = 1; i <= apps; i++) {
            String app = "app-" + i;
            Onboarding.app(app, """
                    name: %1$s
                    source: {repository: github.com/fault/%1$s}
                    image: {repository: registry.example.org/fault/%1$s, tag: "{sha}"}
                    environments:
                      staging: {branch: main}
                    """.formatted(app)).writes().forEach((path, bytes) -> write(seed.resolve(path), bytes));
            shas.put(app, new ArrayList<>());
        }
        git(seed, "add", "-A");
        git(seed, "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-qm", "Onboard the apps");
        git(seed, "push", "-q", "origin", "HEAD:main");
        // Read in this JVM: polling with a git process per app and check would take the cores the service needs.
        remoteRepository = new org.eclipse.jgit.storage.file.FileRepositoryBuilder().setGitDir(remote.toFile())
                .setMustExist(true).build();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        processes.forEach(RelayProcess::close);
        if (remoteRepository != null) {
            remoteRepository.close();
        }
        if (broker != null) {
            broker.close();
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** This test's scratch folder. */
    public Path dir() {
        return dir;
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path remote() {
        return remote;
    }

    /** Starts a service process with data dir {@code name}; retries are short, as a test needs them. */
    public RelayProcess start(String name, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(Map.of(
                "RELAY_KAFKA_HANDLER_ATTEMPTS", "5",
                "RELAY_KAFKA_HANDLER_BACKOFF", "PT0.2S",
                "RELAY_KAFKA_HANDLER_MAX_BACKOFF", "PT1S"));
        env.putAll(settings);
        RelayProcess process = RelayProcess.start(dir.resolve(name), broker.bootstrapServers(),
                remote.toUri().toString(), env);
        processes.add(process);
        return process;
    }

    /**
     * {@code kill -9} of a service process. Its pushes to this {@code file://} remote ran in that process (JGit's
     * receive-pack), so a kill mid-push can leave the branch's lock file in the remote, which a Git host's own
     * receive-pack would have removed when the connection dropped: removed here as the host would. Only a lock older
     * than the kill and still there a moment later is the dead push's; another instance's lives for milliseconds.
     */
    public void kill(RelayProcess process) {
        process.kill();
        java.nio.file.attribute.FileTime killed = java.nio.file.attribute.FileTime.from(java.time.Instant.now());
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A listing that reads no attributes: the surviving instance may remove its own lock meanwhile.
        try (var files = Files.newDirectoryStream(remote.resolve("refs/heads"), "*.lock")) {
            for (Path lock : files) {
                try {
                    if (Files.getLastModifiedTime(lock).compareTo(killed) < 0) {
                        Files.deleteIfExists(lock);
                        System.out.println("removed the remote's " + remote.relativize(lock) + " left by the killed push");
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // Released meanwhile by its live writer.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the broker now; {@link #startBrokerAgain} starts it on the same log and ports. */
    public synchronized int[] stopBroker() {
        int[] ports = broker.ports();
        broker.close();
        return ports;
    }

    /** Starts the broker again where it was; a port taken meanwhile is tried again for a few seconds. */
    public synchronized void startBrokerAgain(int[] ports) throws InterruptedException {
        for (int attempt = 1;; attempt++) {
            try {
                broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), ports);
                return;
            } catch (RuntimeException e) {
                if (attempt >= 10) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    /** Pushes the service did not accept (answered other than 202), each sent again. */
    public int refused() {
        return refused;
    }

    /**
     * One more push to each app, chained on its last accepted one, sent to {@code to}; a push the service does not
     * accept (Kafka down) is sent again until {@code patience} runs out, as GitHub redelivers. Returns how many were
     * accepted.
     */
    public int pushRound(RelayProcess to, Duration patience) throws InterruptedException {
        int count = 0;
        for (Map.Entry<String, List<String>> app : shas.entrySet()) {
            List<String> sent = app.getValue();
            String before = sent.isEmpty() ? "0000000000000000000000000000000000000001" : sent.get(sent.size() - 1);
            String sha = Fixtures.sha();
            long pushedAt = Fixtures.nextPushTime();
            String delivery = java.util.UUID.randomUUID().toString();
            long deadline = System.nanoTime() + patience.toNanos();
            while (true) {
                var id = to.push(delivery, "fault/" + app.getKey(), before, sha, pushedAt);
                if (id.isPresent()) {
                    accepted.add(id.get());
                    sent.add(sha);
                    count++;
                    break;
                }
                refused++;
                if (System.nanoTime() >= deadline) {
                    break;
                }
                Thread.sleep(200);
            }
        }
        return count;
    }

    public String onMain(String... args) {
        List<String> command = new ArrayList<>(List.of("--git-dir=" + remote));
        command.addAll(List.of(args));
        return git(dir, command.toArray(String[]::new));
    }

    public long relayCommits() {
        return Long.parseLong(onMain("rev-list", "--count", "--grep=^Relay-Event:", "main").strip());
    }

    /** The remote's main branch tip, read in this JVM. */
    private org.eclipse.jgit.lib.ObjectId tip() {
        try {
            return remoteRepository.exactRef("refs/heads/main").getObjectId();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the service pushed its first commit, so that a fault comes while the backlog drains; fails when
     * none comes within a minute.
     */
    public void awaitFirstRelayCommit() throws InterruptedException {
        org.eclipse.jgit.lib.ObjectId seeded = tip();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (tip().equals(seeded)) {
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("No commit of the relay within a minute:\n"
                        + processes.get(processes.size() - 1).tail());
            }
            Thread.sleep(10);
        }
    }

    /** Waits until every app holds its last accepted push. */
    public void awaitEveryAppAtItsLastPush() throws InterruptedException {
        long deadline = System.nanoTime() + drain.toNanos();
        while (appsAtTheirLastPush() < apps && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    public int appsAtTheirLastPush() {
        int count = 0;
        try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(remoteRepository)) {
            var tree = walk.parseCommit(tip()).getTree();
            for (Map.Entry<String, List<String>> app : shas.entrySet()) {
                List<String> sent = app.getValue();
                try (var file = org.eclipse.jgit.treewalk.TreeWalk.forPath(remoteRepository,
                        "apps/" + app.getKey() + "/envs/staging/kustomization.yaml", tree)) {
                    if (!sent.isEmpty() && file != null && new String(remoteRepository.open(file.getObjectId(0))
                            .getBytes(), java.nio.charset.StandardCharsets.UTF_8).contains(sent.get(sent.size() - 1))) {
                        count++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count;
    }

    /** Waits for every app to hold its last accepted push, prints the run's figures, and checks them. */
    public void assertEveryAcceptedChangeLandedOnce(String run) throws InterruptedException {
        long deadline = System.nanoTime() + drain.toNanos();
        while (appsAtTheirLastPush() < apps && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        Map<String, Long> named = Arrays.stream(onMain("log", "--format=%(trailers:key=Relay-Event,valueonly)", "main")
                .split("\n")).map(String::strip).filter(line -> !line.isEmpty())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        List<String> lost = accepted.stream().filter(id -> !named.containsKey(id)).toList();
        List<String> duplicated = accepted.stream().filter(id -> named.getOrDefault(id, 0L) > 1).toList();
        int atLast = appsAtTheirLastPush();
        System.out.printf("%s: accepted=%d commits=%d lost=%d duplicated=%d apps at their last push=%d/%d%n", run,
                accepted.size(), relayCommits(), lost.size(), duplicated.size(), atLast, apps);
        assertThat(atLast).as("apps holding their last accepted push within %s;\n%s", drain,
                processes.get(processes.size() - 1).tail()).isEqualTo(apps);
        assertThat(lost).as("accepted events named in no commit").isEmpty();
        assertThat(duplicated).as("accepted events named in two commits").isEmpty();
    }

}
