package org.gitopsrelay.app;

import java.util.List;
import java.util.Optional;

import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.SourceRepo;

/**
 * An app as registered by {@code apps/<name>/app.yaml}: where its code lives, its image, and its environments.
 * {@code imageName} is the image name used in the app's base manifests, which each overlay's {@code images:}
 * entry replaces.
 */
public record AppSpec(String name, SourceRepo source, String image, String imageName, List<EnvironmentSpec> environments,
        PreviewSettings previews, Optional<DatabaseSettings> database, NotificationSettings notifications) {

    public static final String DEFAULT_IMAGE_NAME = "app-image";
    public static final String DEFAULT_IMAGE_TAG = "{sha}";

    public AppSpec {
        environments = List.copyOf(environments);
    }

    /** The environments a push to this ref deploys, in the order app.yaml declares them. */
    public List<EnvironmentSpec> environmentsFollowing(RefKind kind, String refName) {
        return environments.stream().filter(env -> env.follows(kind, refName)).toList();
    }

    public Optional<EnvironmentSpec> environment(String name) {
        return environments.stream().filter(env -> env.name().equals(name)).findFirst();
    }

    public String folder() {
        return "apps/" + name;
    }
}
