package org.gitopsrelay.app;

import org.gitopsrelay.event.GitChange.RefKind;

/**
 * One environment of an app: what feeds it (pushes to branches, or tags, matching a pattern), the image tag
 * template its deployments use, the namespace it runs in, and whether it is frozen ({@code frozen: true}: pushes
 * deploy nothing there, and promotions, rollbacks and restarts need an override).
 */
public record EnvironmentSpec(String name, RefKind feed, RefPattern pattern, String imageTag, String namespace,
        boolean frozen) {

    public boolean follows(RefKind kind, String refName) {
        return feed == kind && pattern.matches(refName);
    }

    /** Folder of the overlay in the GitOps repository. */
    public String overlayDir(String app) {
        return "apps/" + app + "/envs/" + name;
    }
}
