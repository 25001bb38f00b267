package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * gitops-relay's {@code POST /webhooks/backup} for tests, on 127.0.0.1: it records every report as received and
 * answers with the statuses it was told, in order, then 202.
 */
public final class BackupRelayStandIn implements AutoCloseable {

    /** One report as received, its raw body as the signature covers it. */
    public record Report(String signature, String delivery, String contentType, byte[] body, int answered) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final List<Report> reports = new ArrayList<>();
    private final ConcurrentLinkedDeque<Integer> answers = new ConcurrentLinkedDeque<>();

    public BackupRelayStandIn() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/webhooks/backup", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next reports are answered with these statuses, one each. */
    public void answer(Integer... statuses) {
        answers.addAll(List.of(statuses));
    }

    public synchronized List<Report> reports() {
        return List.copyOf(reports);
    }

    /** Forgets what was received and told, for the next test. */
    public synchronized void reset() {
        reports.clear();
        answers.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Integer told = answers.poll();
        int status = "POST".equals(exchange.getRequestMethod()) ? (told == null ? 202 : told) : 405;
        synchronized (this) {
            reports.add(new Report(exchange.getRequestHeaders().getFirst("X-Relay-Signature-256"),
                    exchange.getRequestHeaders().getFirst("X-Relay-Delivery"),
                    exchange.getRequestHeaders().getFirst("Content-Type"), body, status));
        }
        byte[] answer = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
