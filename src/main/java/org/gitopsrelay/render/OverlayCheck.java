package org.gitopsrelay.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.tracing.Spans;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Checks that an overlay still renders once an edit is applied, before anything is committed: the app's folder,
 * edit included, is copied into a scratch folder and rendered with Kustomize there. Only the app's own folder is
 * copied, so an overlay can never reach another app's files, and the cost follows the app, not the repository.
 */
@ApplicationScoped
public class OverlayCheck {

    private static final Logger LOG = Logger.getLogger(OverlayCheck.class);

    /** Checks kept: enough for every overlay of a few hundred apps, each a 64-character key. */
    private static final int KEPT = 4096;
    /** The longest image tag Docker allows. */
    private static final int MAX_TAG = 128;

    private final KustomizeRenderer renderer;
    private final RelayConfig config;
    private final MeterRegistry metrics;
    /** Keys of the checks that passed, least recently used first. */
    private final Map<String, Boolean> passed = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > KEPT;
        }
    };

    @Inject
    public OverlayCheck(KustomizeRenderer renderer, RelayConfig config, MeterRegistry metrics) {
        this.renderer = renderer;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * Checks that {@code overlayDir} renders with {@code edit} applied, unless an earlier check passed on the same
     * files but for {@code standIns}: overlays with the values that cannot change the outcome set to fixed ones (the
     * image tag, the Kustomization's own annotations). That holds only for an overlay that sets the tag in image fields
     * alone: a pass is kept only when the overlay and what it builds on read no values into the output (no
     * replacements, vars, generators or plugins) and the output stays under {@code relay.render.max-output-bytes}
     * with the longest tag Docker allows in each place {@code tag} appears. A render is the cost of a deployment; a
     * stream of pushes to one environment then renders once.
     */
    @WithSpan(Spans.KUSTOMIZE_RENDER)
    public void check(Snapshot snapshot, String appFolder, TreeEdit edit, @SpanAttribute(Spans.OVERLAY) String overlayDir,
            Map<String, byte[]> standIns, String tag) {
        if (!config.render().reuse()) {
            render(snapshot, appFolder, edit, overlayDir);
            return;
        }
        String key = overlayDir + "\n" + snapshot.fingerprint(appFolder, edit, renderable(appFolder, overlayDir),
                standIns);
        synchronized (passed) {
            if (passed.get(key) != null) {
                metrics.counter(RelayMetrics.RENDERS_REUSED).increment();
                Span.current().setAttribute(Spans.RENDER_REUSED, true);
                return;
            }
        }
        Rendered rendered = render(snapshot, appFolder, edit, overlayDir, true);
        long longest = rendered.output().getBytes(StandardCharsets.UTF_8).length
                + (long) occurrences(rendered.output(), tag) * (MAX_TAG - tag.length());
        if (rendered.valueReaders().isEmpty() && longest <= config.render().maxOutputBytes()) {
            synchronized (passed) {
                passed.put(key, Boolean.TRUE);
            }
        }
    }

    /** Renders {@code overlayDir} (a path of the repository below {@code appFolder}) with {@code edit} applied. */
    @WithSpan(Spans.KUSTOMIZE_RENDER)
    public String render(Snapshot snapshot, String appFolder, TreeEdit edit,
            @SpanAttribute(Spans.OVERLAY) String overlayDir) {
        return render(snapshot, appFolder, edit, overlayDir, false).output();
    }

    /** A render's output, and what in the overlay's tree reads values into it (when asked). */
    private record Rendered(String output, List<String> valueReaders) {
    }

    private Rendered render(Snapshot snapshot, String appFolder, TreeEdit edit, String overlayDir, boolean scan) {
        Path dir = null;
        try {
            Path scratch = Files.createDirectories(config.dataDir().toAbsolutePath().resolve("tmp"));
            dir = Files.createTempDirectory(scratch, "render-");
            snapshot.materialize(appFolder, edit, dir, renderable(appFolder, overlayDir));
            String output = renderer.render(dir.resolve(overlayDir), dir);
            return new Rendered(output, scan ? ValueReaders.in(dir.resolve(overlayDir), dir.resolve(appFolder))
                    : List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the render of " + overlayDir, e);
        } finally {
            deleteQuietly(dir);
        }
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0 && !part.isEmpty(); at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    /**
     * The app's files a render of the overlay needs. Other previews are never a base of this overlay: leaving them
     * out, unread, keeps the cost of a render the same with ten thousand live previews as with none (one listing of
     * the previews folder).
     */
    private static Predicate<String> renderable(String appFolder, String overlayDir) {
        String previews = appFolder + "/previews/";
        String self = overlayDir + "/";
        return path -> path.equals(previews) || !path.startsWith(previews) || path.startsWith(self);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.debugf("Cannot remove %s: %s", dir, e.getMessage());
        }
    }
}
