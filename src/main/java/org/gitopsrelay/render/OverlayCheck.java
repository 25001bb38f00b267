package org.gitopsrelay.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.tracing.Spans;
import org.jboss.logging.Logger;

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

    private final KustomizeRenderer renderer;
    private final RelayConfig config;

    @Inject
    public OverlayCheck(KustomizeRenderer renderer, RelayConfig config) {
        this.renderer = renderer;
        this.config = config;
    }

    /** Renders {@code overlayDir} (a path of the repository below {@code appFolder}) with {@code edit} applied. */
    @WithSpan(Spans.KUSTOMIZE_RENDER)
    public String render(Snapshot snapshot, String appFolder, TreeEdit edit,
            @SpanAttribute(Spans.OVERLAY) String overlayDir) {
        Path dir = null;
        try {
            Path scratch = Files.createDirectories(config.dataDir().toAbsolutePath().resolve("tmp"));
            dir = Files.createTempDirectory(scratch, "render-");
            // Other previews are never a base of this overlay: leaving them out, unread, keeps the cost of a render
            // the same with ten thousand live previews as with none (one listing of the previews folder).
            String previews = appFolder + "/previews/";
            String self = overlayDir + "/";
            snapshot.materialize(appFolder, edit, dir,
                    path -> path.equals(previews) || !path.startsWith(previews) || path.startsWith(self));
            return renderer.render(dir.resolve(overlayDir), dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the render of " + overlayDir, e);
        } finally {
            deleteQuietly(dir);
        }
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
