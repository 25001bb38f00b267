package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

import org.gitopsrelay.event.EventCodec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A Mattermost for tests, on 127.0.0.1: the REST API's {@code POST /api/v4/posts} and
 * {@code PUT /api/v4/posts/{id}/patch} (answering like Mattermost, with a new 26-character post id), and incoming
 * webhooks under {@code /hooks/<key>}. It records what it accepted, and can be told to answer the next calls with an
 * error, a 429 with headers, or not at all for a while.
 */
public final class MattermostStandIn implements AutoCloseable {

    public static final String TOKEN = "mm-bot-token-0f3c9a";

    /** One request as received. */
    public record Call(String method, String path, Map<String, List<String>> headers, JsonNode body, int status,
            java.time.Instant at) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst().orElse(null);
        }
    }

    /** A scripted answer for one coming call: a status and headers, after a delay (a long one is a hang). */
    public record Scripted(int status, Map<String, String> headers, Duration delay, String body) {
        public Scripted(int status, Map<String, String> headers, Duration delay) {
            this(status, headers, delay, null);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Call> calls = new ArrayList<>();
    private final ConcurrentLinkedDeque<Scripted> script = new ConcurrentLinkedDeque<>();
    private volatile Scripted always;

    public MattermostStandIn() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next calls get these answers, in order, before normal service resumes. */
    public void thenAnswer(Scripted... answers) {
        script.addAll(List.of(answers));
    }

    /** Every call gets this answer until {@link #recover()}. */
    public void alwaysAnswer(Scripted answer) {
        always = answer;
    }

    public void recover() {
        always = null;
        script.clear();
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Accepted posts (a root or a reply) carrying an event's id. */
    public List<Call> postsOf(String eventId) {
        return accepted(call -> call.method().equals("POST") && call.body() != null
                && eventId.equals(call.body().path("props").path("gitops_relay_event").asText()));
    }

    /** Waits for the first accepted post carrying an event's id. */
    public Call awaitPost(String eventId, Duration timeout) {
        return org.awaitility.Awaitility.await().atMost(timeout).until(() -> postsOf(eventId), posts -> !posts
                .isEmpty()).get(0);
    }

    /** Accepted calls (2xx) that match. */
    public synchronized List<Call> accepted(Predicate<Call> matches) {
        return calls.stream().filter(call -> call.status() / 100 == 2).filter(matches).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonNode body;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] bytes = in.readAllBytes();
                body = bytes.length == 0 ? null : EventCodec.JSON.readTree(bytes);
            }
            Scripted scripted = always != null ? always : script.poll();
            if (scripted != null) {
                pause(scripted.delay());
                scripted.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                record(exchange, body, scripted.status());
                answer(exchange, scripted.status(), scripted.body() != null ? scripted.body()
                        : "{\"id\":\"api.error\",\"status_code\":" + scripted.status() + "}");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.startsWith("/hooks/") && method.equals("POST")) {
                record(exchange, body, 200);
                answer(exchange, 200, "ok");
            } else if (path.startsWith("/api/v4/") && !("Bearer " + TOKEN).equals(exchange.getRequestHeaders()
                    .getFirst("Authorization"))) {
                record(exchange, body, 401);
                answer(exchange, 401, "{\"id\":\"api.context.session_expired.app_error\",\"status_code\":401}");
            } else if (path.equals("/api/v4/posts") && method.equals("POST")) {
                ObjectNode post = ((ObjectNode) body).deepCopy();
                post.put("id", postId());
                post.put("create_at", System.currentTimeMillis());
                record(exchange, post, 201);
                exchange.getResponseHeaders().add("X-Ratelimit-Limit", "10");
                exchange.getResponseHeaders().add("X-Ratelimit-Remaining", "9");
                answer(exchange, 201, EventCodec.JSON.writeValueAsString(post));
            } else if (path.matches("/api/v4/posts/[a-z0-9]{26}/patch") && method.equals("PUT")) {
                ObjectNode post = ((ObjectNode) body).deepCopy();
                post.put("id", path.split("/")[4]);
                record(exchange, post, 200);
                answer(exchange, 200, EventCodec.JSON.writeValueAsString(post));
            } else {
                record(exchange, body, 404);
                answer(exchange, 404, "{\"status_code\":404}");
            }
        }
    }

    private synchronized void record(HttpExchange exchange, JsonNode body, int status) {
        calls.add(new Call(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                Map.copyOf(exchange.getRequestHeaders()), body, status, java.time.Instant.now()));
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        } catch (IOException e) {
            // The client gave up waiting (a scripted hang): nothing to answer to.
        }
    }

    private static String postId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 26; i++) {
            id.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return id.toString();
    }

    private static void pause(Duration delay) {
        if (delay == null || delay.isZero()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
