package org.gitopsrelay.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A Git smart-HTTP server on 127.0.0.1: git's own {@code http-backend} run as CGI for each request, behind Basic
 * authentication with one user and token, the way a Git host checks an access token. A test may hold its fetches
 * (a slow remote) and release them.
 */
public final class GitHttpServer implements AutoCloseable {

    private final HttpServer server;
    private final Path root;
    private final String expectedAuthorization;
    private volatile CountDownLatch fetchGate = new CountDownLatch(0);
    private volatile long latencyMillis;

    public GitHttpServer(Path root, String user, String token) throws IOException {
        this.root = root;
        this.expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + token).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    /** The URL of a repository folder below the root. */
    public String url(String repository) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + repository;
    }

    /** From now on, fetches (and ls-remote) are not answered until {@link #releaseFetches()}; pushes go through. */
    public void holdFetches() {
        fetchGate = new CountDownLatch(1);
    }

    public void releaseFetches() {
        fetchGate.countDown();
    }

    /** Every request waits this long before it is answered: a Git host across a network. */
    public void addLatency(java.time.Duration latency) {
        latencyMillis = latency.toMillis();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (latencyMillis > 0) {
                try {
                    Thread.sleep(latencyMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String query = exchange.getRequestURI().getRawQuery();
            if (exchange.getRequestURI().getPath().endsWith("/git-upload-pack")
                    || query != null && query.contains("service=git-upload-pack")) {
                awaitGate();
            }
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            byte[] body = exchange.getRequestBody().readAllBytes();
            ProcessBuilder cgi = new ProcessBuilder("git", "http-backend");
            Map<String, String> env = cgi.environment();
            env.put("GIT_PROJECT_ROOT", root.toString());
            env.put("GIT_HTTP_EXPORT_ALL", "1");
            env.put("REMOTE_USER", "relay");
            env.put("REQUEST_METHOD", exchange.getRequestMethod());
            env.put("PATH_INFO", exchange.getRequestURI().getPath());
            env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? ""
                    : exchange.getRequestURI().getRawQuery());
            env.put("CONTENT_LENGTH", String.valueOf(body.length));
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            env.put("CONTENT_TYPE", contentType == null ? "" : contentType);
            String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
            if (encoding != null) {
                env.put("HTTP_CONTENT_ENCODING", encoding);
            }
            String protocol = exchange.getRequestHeaders().getFirst("Git-Protocol");
            if (protocol != null) {
                env.put("GIT_PROTOCOL", protocol);
            }
            Process process = cgi.start();
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(body);
            }
            byte[] output = readAll(process.getInputStream());
            respond(exchange, output);
        }
    }

    private void awaitGate() {
        try {
            // Bounded, so that a test that forgets to release leaves no thread behind for long.
            fetchGate.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Splits the CGI output into its headers and body. */
    private static void respond(HttpExchange exchange, byte[] output) throws IOException {
        int split = indexOf(output, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        int bodyStart = split + 4;
        if (split < 0) {
            split = indexOf(output, "\n\n".getBytes(StandardCharsets.US_ASCII));
            bodyStart = split + 2;
        }
        int status = 200;
        for (String line : new String(output, 0, Math.max(0, split), StandardCharsets.ISO_8859_1).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(value.split(" ")[0]);
            } else {
                exchange.getResponseHeaders().add(name, value);
            }
        }
        int length = output.length - bodyStart;
        exchange.sendResponseHeaders(status, length == 0 ? -1 : length);
        if (length > 0) {
            exchange.getResponseBody().write(output, bodyStart, length);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer: for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
