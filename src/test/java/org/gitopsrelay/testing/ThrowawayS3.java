package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server for one test class: s3rver (npm, installed by scripts/install-tools.sh) on a free
 * loopback port, its objects in a scratch folder, one bucket made at start. s3rver checks the access key id of a
 * SigV4 request (an unknown one is refused with 403 InvalidAccessKeyId) but not the signature itself.
 *
 * <p>
 * The test reads and writes objects with curl, signing as the scripts do.
 */
public final class ThrowawayS3 implements AutoCloseable {

    public static final String ACCESS_KEY_ID = "S3RVER";
    public static final String SECRET_ACCESS_KEY = "S3RVER";

    private final Path dir;
    private final int port;
    private final String bucket;
    private final Process process;

    public ThrowawayS3(String bucket) throws IOException, InterruptedException {
        this.bucket = bucket;
        dir = Files.createTempDirectory("s3rver-");
        port = freePort();
        Path log = dir.resolve("s3rver.log");
        try {
            process = new ProcessBuilder("s3rver", "-d", dir.resolve("data").toString(), "-a", "127.0.0.1", "-p",
                    String.valueOf(port), "--configure-bucket", bucket).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("s3rver is needed on the PATH (scripts/install-tools.sh installs it)", e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!listening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("s3rver did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return Files.readString(dir.resolve("s3rver.log")).contains("listening");
        } catch (IOException e) {
            return false;
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public String bucket() {
        return bucket;
    }

    /** What the scripts need to reach this store with a good key. */
    public Map<String, String> env() {
        return Map.of("S3_ENDPOINT", endpoint(), "S3_BUCKET", bucket, "S3_REGION", "us-east-1", "S3_ACCESS_KEY_ID",
                ACCESS_KEY_ID, "S3_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    }

    /** Stores {@code body} under {@code key}. */
    public void put(String key, byte[] body) throws IOException {
        Path file = Files.createTempFile(dir, "put-", ".bin");
        Files.write(file, body);
        curl("-T", file.toString(), url(key));
        Files.delete(file);
    }

    public byte[] get(String key) {
        return curl(url(key));
    }

    /** Every key under {@code prefix}, as ListObjectsV2 answers (sorted by name). */
    public List<String> keys(String prefix) {
        String xml = new String(curl(endpoint() + "/" + bucket + "?list-type=2&prefix="
                + java.net.URLEncoder.encode(prefix, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        List<String> keys = new ArrayList<>();
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("<Key>([^<]*)</Key>").matcher(xml);
        while (matcher.find()) {
            keys.add(matcher.group(1));
        }
        return keys;
    }

    private String url(String key) {
        return endpoint() + "/" + bucket + "/" + key;
    }

    private byte[] curl(String... args) {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3",
                "--user", ACCESS_KEY_ID + ":" + SECRET_ACCESS_KEY, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
        argv.addAll(List.of(args));
        try {
            Process curl = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = curl.getInputStream().readAllBytes();
            if (!curl.waitFor(30, TimeUnit.SECONDS) || curl.exitValue() != 0) {
                throw new IllegalStateException(argv + " failed with " + curl.exitValue());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
}
