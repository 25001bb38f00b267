package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the shipped shell scripts as the images would: under busybox ash with busybox's own sha256sum, od, sed, grep
 * and friends first on the PATH (the postgres:15-alpine and curlimages/curl images have nothing else), else under
 * the machine's {@code sh} when busybox is not installed. Only curl and the PostgreSQL clients come from the machine,
 * as they come from the images.
 */
public final class ShellScripts {

    /** The busybox applets the scripts use; any other command falls through to the machine's. */
    private static final List<String> APPLETS = List.of("sh", "sha256sum", "od", "tr", "sed", "cut", "sort", "grep",
            "date", "mktemp", "wc", "head", "tail", "cat", "rm", "mv", "dirname", "sleep", "find");

    private final Path applets;
    private final String shell;

    /** Links to busybox's applets go to target/busybox-applets (outside any @TempDir, which would warn of links). */
    public ShellScripts() {
        Path busybox = List.of(Path.of("/usr/bin/busybox"), Path.of("/bin/busybox")).stream().filter(Files::isExecutable)
                .findFirst().orElse(null);
        if (busybox == null) {
            applets = null;
            shell = "sh";
            return;
        }
        try {
            applets = Files.createDirectories(Path.of("target", "busybox-applets")).toAbsolutePath();
            for (String applet : APPLETS) {
                Path link = applets.resolve(applet);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, busybox);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        shell = applets.resolve("sh").toString();
    }

    public String shell() {
        return shell;
    }

    public record Result(int exit, String stdout, String stderr) {
        public String output() {
            return stdout + stderr;
        }
    }

    /** Runs {@code script} with exactly {@code env} (plus HOME and a PATH with busybox's applets first). */
    public Result run(Path script, Map<String, String> env) {
        return run(List.of(shell, script.toAbsolutePath().toString()), env);
    }

    public Result run(List<String> argv, Map<String, String> env) {
        ProcessBuilder builder = new ProcessBuilder(argv);
        Map<String, String> environment = builder.environment();
        environment.clear();
        environment.put("HOME", System.getProperty("java.io.tmpdir"));
        environment.put("LANG", "C");
        Map<String, String> given = new HashMap<>(env);
        String path = given.getOrDefault("PATH", System.getenv("PATH"));
        environment.putAll(given);
        environment.put("PATH", applets == null ? path : applets + ":" + path);
        try {
            Path out = Files.createTempFile("script-", ".out");
            Path err = Files.createTempFile("script-", ".err");
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(argv + " did not finish");
            }
            Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code base} with {@code extra} on top; a null value removes the variable. */
    public static Map<String, String> env(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(base);
        extra.forEach((key, value) -> {
            if (value == null) {
                env.remove(key);
            } else {
                env.put(key, value);
            }
        });
        return env;
    }
}
