package org.gitopsrelay.preview;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.gitopsrelay.event.Preview;
import org.gitopsrelay.gitops.Snapshot;

/** The live previews of the GitOps repository, read from their overlays. */
public final class PreviewCatalog {

    private PreviewCatalog() {
    }

    public static List<Preview> of(Snapshot snapshot, String app) {
        List<Preview> previews = new ArrayList<>();
        for (String slug : snapshot.folders("apps/" + app + "/previews")) {
            Optional<Preview> preview = snapshot.read(Preview.folderOf(app, slug) + "/kustomization.yaml")
                    .flatMap(yaml -> PreviewOverlay.read(app, slug, yaml));
            preview.ifPresent(previews::add);
        }
        return previews;
    }

    public static List<Preview> all(Snapshot snapshot) {
        List<Preview> previews = new ArrayList<>();
        for (String app : snapshot.folders("apps")) {
            previews.addAll(of(snapshot, app));
        }
        return previews;
    }
}
