package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.gitopsrelay.webhook.HmacSignature;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) run as a process of its own, as in production:
 * started with a data dir, a Kafka broker and a GitOps remote, sent signed webhooks over HTTP, and killed with
 * {@code kill -9} when a test says so. Its log goes to {@code <data dir>.log}.
 */
public final class RelayProcess implements AutoCloseable {

    public static final String SECRET = "process-test-secret";
    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final Pattern EVENT_ID = Pattern.compile("\"events\":\\[\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private RelayProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the service and waits until it is ready; {@code settings} are extra environment variables. */
    public static RelayProcess start(Path dataDir, String bootstrapServers, String gitopsUrl,
            Map<String, String> settings) {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: process tests run after the package phase");
        }
        int port = freePort();
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m", "-jar", JAR.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("RELAY_DATA_DIR", dataDir.toString());
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("RELAY_GITOPS_URL", gitopsUrl);
        env.put("RELAY_WEBHOOK_GITHUB_SECRET", SECRET);
        env.put("RELAY_GITOPS_RETRY_BACKOFF", "PT0.01S");
        env.putAll(settings);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RelayProcess started = new RelayProcess(process, port, log);
        // A failing test, or a surefire fork that is stopped, must not leave a service running.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        try {
            started.awaitReady(Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            started.kill();
            throw e;
        }
        return started;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The service exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(uri("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(200);
        }
        throw new IllegalStateException("The service was not ready within " + timeout + ":\n" + tail());
    }

    /**
     * Sends a signed push webhook under {@code deliveryId} (the same for every redelivery of one push, as GitHub
     * keeps it); the event id the service accepted, or empty if it did not answer 202.
     */
    public Optional<String> push(String deliveryId, String repository, String before, String sha, long pushedAt) {
        String body = """
                {"ref":"refs/heads/main","before":"%2$s","after":"%3$s","created":false,"deleted":false,
                 "forced":false,"commits":[],"head_commit":{"id":"%3$s","message":"change",
                 "timestamp":"2026-11-24T10:00:00Z","author":{"name":"A","email":"a@example.org"}},
                 "repository":{"name":"x","full_name":"%1$s","html_url":"https://github.com/%1$s",
                 "default_branch":"main","pushed_at":%4$d},
                 "pusher":{"name":"alice","email":"a@example.org"},"sender":{"login":"alice"}}
                """.formatted(repository, before, sha, pushedAt);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(uri("/webhooks/github"))
                .header("Content-Type", "application/json").header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-Hub-Signature-256", "sha256=" + HmacSignature.sha256Hex(SECRET, bytes))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            Matcher m = EVENT_ID.matcher(response.body());
            return response.statusCode() == 202 && m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** An HTTP call to the service: its status and body. */
    public HttpResponse<String> call(String method, String path, String bearerToken) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (bearerToken != null) {
            request.header("Authorization", "Bearer " + bearerToken);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed or committed. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The log lines containing {@code text}. */
    public List<String> logLines(String text) {
        try {
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                if (line.contains(text)) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            return List.of();
        }
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
