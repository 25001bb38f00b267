package org.gitopsrelay.app;

import org.gitopsrelay.event.GitChange.RefKind;

/**
 * One environment of an app: what feeds it (pushes to branches, or tags, matching a pattern), the image tag
 * template its deployments use, and the namespace it runs in.
 */
public record EnvironmentSpec(String name, RefKind feed, RefPattern pattern, String imageTag, String namespace) {

    public boolean follows(RefKind kind, String refName) {
        return feed == kind && pattern.matches(refName);
    }

    /** Folder of the overlay in the GitOps repository. */
    public String overlayDir(String app) {
        return "apps/" + app + "/envs/" + name;
    }
}
