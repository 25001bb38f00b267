package org.gitopsrelay.app;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.gitopsrelay.gitops.Snapshot;

/**
 * Who runs in which namespace. Every overlay folder, {@code apps/<app>/envs/<env>} or
 * {@code apps/<app>/previews/<slug>}, runs in namespace {@code <app>-<folder>}: the Argo CD ApplicationSet names the
 * namespace (and the Application) so from the path, and the overlays the relay writes say the same. So a namespace
 * has one owner across all apps: an environment or a live preview, whichever had it first.
 */
public final class Namespaces {

    private Namespaces() {
    }

    /** The namespace of overlay folder {@code overlay} (an environment's or a preview's name) of {@code app}. */
    public static String of(String app, String overlay) {
        return app + "-" + overlay;
    }

    /** A live preview, as its folder names it. */
    record LivePreview(String app, String slug) {
        String describe() {
            return "preview " + slug + " of app " + app;
        }
    }

    /**
     * The live previews of the snapshot by namespace, from their folder names only: one listing per app, no overlay
     * read.
     */
    static Map<String, LivePreview> livePreviews(Snapshot snapshot) {
        Map<String, LivePreview> previews = new HashMap<>();
        for (String app : snapshot.folders("apps")) {
            for (String slug : snapshot.folders("apps/" + app + "/previews")) {
                previews.putIfAbsent(of(app, slug), new LivePreview(app, slug));
            }
        }
        return previews;
    }

    /**
     * Who else than {@code app} claims {@code namespace} in the snapshot: a live preview of another app, or an
     * environment another app's app.yaml declares (registered or not yet read by the registry). Only the few apps
     * whose name is a dash-ended prefix of the namespace can: their folders are looked up, nothing else is read.
     * The app itself is not asked: its environments cannot be named like a preview ({@code pr-}, {@code br-}).
     */
    public static Optional<String> claimedByAnotherApp(Snapshot snapshot, String namespace, String app) {
        for (int dash = namespace.indexOf('-'); dash > 0; dash = namespace.indexOf('-', dash + 1)) {
            String other = namespace.substring(0, dash);
            String overlay = namespace.substring(dash + 1);
            if (other.equals(app) || overlay.isEmpty() || !Names.isDnsLabel(other, 63)) {
                continue;
            }
            if (snapshot.isFolder("apps/" + other + "/previews/" + overlay)) {
                return Optional.of(new LivePreview(other, overlay).describe());
            }
            Optional<String> yaml = snapshot.read("apps/" + other + "/app.yaml");
            if (yaml.isPresent()) {
                try {
                    AppSpec spec = AppSpecParser.parse(other, yaml.get());
                    if (spec.environment(overlay).filter(env -> env.namespace().equals(namespace)).isPresent()) {
                        return Optional.of("environment " + overlay + " of app " + other);
                    }
                } catch (InvalidAppException e) {
                    // An app.yaml that cannot be read declares nothing; the registry reports it.
                }
            }
        }
        return Optional.empty();
    }
}
