package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 15 server for one test class: initdb into a scratch folder, started with pg_ctl on a free
 * loopback port, trust authentication, stopped at the end. PostgreSQL refuses to run as root, so as root it runs as
 * the {@code postgres} user.
 */
public final class ThrowawayPostgres implements AutoCloseable {

    public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dir;
    private final int port;

    public ThrowawayPostgres() throws IOException, InterruptedException {
        if (!Files.isExecutable(BIN.resolve("initdb"))) {
            throw new IllegalStateException("PostgreSQL 15 server binaries are needed in " + BIN
                    + " (scripts/install-tools.sh installs them)");
        }
        dir = Files.createTempDirectory("pg-");
        port = freePort();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "-R", "postgres:postgres", dir.toString()), Map.of());
        }
        Path data = dir.resolve("data");
        asServerUser(root, List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U",
                "postgres", "--no-sync"));
        asServerUser(root, List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1"
                        + " -c fsync=off",
                "-w", "start"));
    }

    public int port() {
        return port;
    }

    /** Environment for client tools: this server, the superuser, the server's binaries first on the PATH. */
    public Map<String, String> clientEnv() {
        return Map.of("PGHOST", "127.0.0.1", "PGPORT", String.valueOf(port), "PGUSER", "postgres",
                "PATH", BIN + ":" + System.getenv("PATH"));
    }

    /** Runs a client command against this server and returns its output; fails on a non-zero exit. */
    public String client(String... argv) {
        Result result = exec(List.of(argv), clientEnv());
        if (result.exit() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed: " + result.output());
        }
        return result.output();
    }

    public record Result(int exit, String output) {
    }

    /** Runs a command with this server's client environment plus {@code extra}. */
    public Result exec(List<String> argv, Map<String, String> extra) {
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
            builder.environment().putAll(clientEnv());
            builder.environment().putAll(extra);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(argv + " did not finish");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void asServerUser(boolean root, List<String> argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (root) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.addAll(argv);
        run(command, Map.of());
    }

    private static void run(List<String> argv, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed:\n" + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        asServerUser(root, List.of(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m",
                "immediate", "-w", "stop"));
        run(List.of("rm", "-rf", dir.toString()), Map.of());
    }
}
