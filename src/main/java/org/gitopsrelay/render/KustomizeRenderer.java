package org.gitopsrelay.render;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Renders an overlay with the real Kustomize, as a process: {@code kustomize build DIR} when kustomize is on the
 * PATH, else {@code kubectl kustomize DIR}, or the command set in {@code relay.render.command}. A render that fails,
 * times out, or yields a plaintext {@code Secret} refuses the change.
 */
@ApplicationScoped
public class KustomizeRenderer {

    private static final Logger LOG = Logger.getLogger(KustomizeRenderer.class);
    private static final int MAX_ERROR_CHARS = 4000;
    /** The one variable Kustomize is given from the service's environment: where programs are. */
    private static final String PATH = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    /** kubectl prefixes its errors with a klog header: {@code E1123 05:11:19.720675   16658 run.go:72] }. */
    private static final java.util.regex.Pattern KLOG_PREFIX = java.util.regex.Pattern
            .compile("(?m)^[IWEF]\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d+\\s+\\d+ [^\\]]+\\] ");
    private static final ObjectReader YAML_DOCS = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);

    private final RelayConfig config;
    private final MeterRegistry metrics;
    private volatile List<String> command;

    @Inject
    public KustomizeRenderer(RelayConfig config, MeterRegistry metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    /** The rendered manifests of the overlay in {@code overlayDir}. */
    public String render(Path overlayDir) {
        return render(overlayDir, overlayDir);
    }

    /**
     * Renders the overlay in {@code overlayDir}, a folder below {@code root}: errors name files relative to
     * {@code root}, so that they read as paths of the GitOps repository rather than of a scratch folder.
     */
    public String render(Path overlayDir, Path root) {
        List<String> remote = RemoteReferences.in(root);
        if (!remote.isEmpty()) {
            throw new RelayException(Reason.RENDER_FAILED, "The overlay refers to what only the network has, and an"
                    + " overlay renders from the GitOps repository alone (copy it into the app's folder): "
                    + String.join("; ", remote));
        }
        List<String> argv = new ArrayList<>(command());
        argv.add(overlayDir.toAbsolutePath().toString());
        Timer.Sample sample = Timer.start(metrics);
        String outcome = "failed";
        try {
            String output = run(argv, overlayDir, root);
            rejectPlaintextSecrets(output);
            outcome = "ok";
            return output;
        } finally {
            sample.stop(metrics.timer(RelayMetrics.RENDER, "outcome", outcome));
        }
    }

    /** The command in use, decided once: the explicit setting, else kustomize, else kubectl. */
    public List<String> command() {
        List<String> resolved = command;
        if (resolved == null) {
            resolved = config.render().command()
                    .map(text -> Arrays.asList(text.trim().split("\\s+")))
                    .orElseGet(() -> onPath("kustomize") ? List.of("kustomize", "build") : List.of("kubectl", "kustomize"));
            LOG.infof("Rendering overlays with: %s", String.join(" ", resolved));
            command = resolved;
        }
        return resolved;
    }

    private String run(List<String> argv, Path overlayDir, Path root) {
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).directory(overlayDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            // Kustomize inherits nothing: no GitOps token, webhook secret or proxy setting of the service.
            builder.environment().clear();
            builder.environment().put("PATH", PATH);
            builder.environment().put("HOME", root.toAbsolutePath().toString());
            process = builder.start();
        } catch (IOException e) {
            throw new RelayException(Reason.RENDER_UNAVAILABLE,
                    "Cannot run " + String.join(" ", argv.subList(0, argv.size() - 1)) + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            int cap = config.render().maxOutputBytes();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream(),
                    cap));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream(),
                    cap));
            long timeout = config.render().timeout().toMillis();
            if (!process.waitFor(timeout, TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new RelayException(Reason.RENDER_UNAVAILABLE, "Kustomize did not finish within " + timeout + " ms");
            }
            String out = stdout.get(5, TimeUnit.SECONDS);
            String err = stderr.get(5, TimeUnit.SECONDS);
            if (out == null) {
                kill(process);
                throw new RelayException(Reason.RENDER_FAILED, "The overlay renders more than " + cap
                        + " bytes (relay.render.max-output-bytes)");
            }
            err = err == null ? "" : err;
            if (process.exitValue() != 0) {
                String message = err.isBlank() ? out : err;
                throw new RelayException(Reason.RENDER_FAILED, "Kustomize failed (exit " + process.exitValue() + "): "
                        + truncate(readable(message, root)));
            }
            return out;
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new RelayException(Reason.RENDER_UNAVAILABLE, "Interrupted while rendering", e);
        } catch (IOException | ExecutionException | TimeoutException e) {
            kill(process);
            throw new RelayException(Reason.RENDER_UNAVAILABLE, "Cannot read Kustomize's output: " + e.getMessage(), e);
        }
    }

    /** Secrets belong in a secret manager (SealedSecret, ExternalSecret), never in Git as plain text. */
    static void rejectPlaintextSecrets(String manifests) {
        try (var docs = YAML_DOCS.readValues(manifests)) {
            while (docs.hasNextValue()) {
                JsonNode doc = (JsonNode) docs.nextValue();
                if (doc != null && "Secret".equals(doc.path("kind").asText()) && "v1".equals(doc.path("apiVersion").asText())
                        && (doc.has("data") || doc.has("stringData"))) {
                    throw new RelayException(Reason.RENDER_FAILED, "The overlay renders a plaintext Secret '"
                            + doc.path("metadata").path("name").asText() + "': use a SealedSecret or an ExternalSecret");
                }
            }
        } catch (IOException e) {
            throw new RelayException(Reason.RENDER_FAILED, "Kustomize's output is not YAML: " + e.getMessage(), e);
        }
    }

    /** The stream's text, or null past {@code cap} bytes (the rest is not read: the process is stopped). */
    private static String drain(InputStream in, int cap) {
        try (in) {
            byte[] bytes = in.readNBytes(cap + 1);
            return bytes.length > cap ? null : new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Kustomize and whatever it started (a plugin, a shell): a time-out must not leave any of them running. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Kustomize's message without kubectl's log prefix and without the scratch folder's path. */
    private static String readable(String message, Path root) {
        String text = KLOG_PREFIX.matcher(message.strip()).replaceAll("");
        return text.replace(root.toAbsolutePath() + File.separator, "").replace(root.toAbsolutePath().toString(), ".");
    }

    private static String truncate(String text) {
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "…";
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return true;
            }
        }
        return false;
    }
}
