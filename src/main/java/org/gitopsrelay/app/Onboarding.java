package org.gitopsrelay.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.TreeEdit;


/**
 * Lays out a new app in the GitOps repository from {@code kustomize-base/}: its app.yaml, its base, its components
 * (the preview shape), and one overlay per environment it declares (the template overlay of the same name, or
 * staging's).
 */
public final class Onboarding {

    private Onboarding() {
    }

    /** The demo app of the design, for a new local GitOps repository. */
    public static TreeEdit demo() {
        return app("demo", demoAppYaml());
    }

    /** The demo app's {@code app.yaml}. */
    public static String demoAppYaml() {
        try (InputStream in = Onboarding.class.getClassLoader().getResourceAsStream("seed/demo-app.yaml")) {
            if (in == null) {
                throw new IllegalStateException("The jar holds no seed/demo-app.yaml");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TreeEdit app(String name, String appYaml) {
        AppSpec app;
        try {
            app = AppSpecParser.parse(name, appYaml);
        } catch (InvalidAppException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        TreeEdit edit = new TreeEdit().write(app.folder() + "/app.yaml", appYaml);
        for (String dir : new String[] { "base", "components" }) {
            for (Map.Entry<String, String> file : SeedFiles.read(dir).entrySet()) {
                edit.write(app.folder() + "/" + dir + "/" + file.getKey(), file.getValue());
            }
        }
        Map<String, String> templates = SeedFiles.read("envs");
        for (EnvironmentSpec env : app.environments()) {
            String template = templates.getOrDefault(env.name() + "/kustomization.yaml",
                    templates.get("staging/kustomization.yaml"));
            edit.write(env.overlayDir(app.name()) + "/kustomization.yaml", overlay(app, env, template));
        }
        return edit;
    }

    private static String overlay(AppSpec app, EnvironmentSpec env, String template) {
        String templateEnv = KustomizationFile.parse(template).namespace().orElse("app-staging").substring(4);
        // The template's placeholders hold only our own names, and app and environment names are validated DNS
        // labels: replacing them as text cannot inject anything.
        String named = template
                .replace("app." + templateEnv + ".example.org", app.name() + "." + env.name() + ".example.org")
                .replace("app-" + templateEnv, env.namespace())
                .replace("environment: " + templateEnv, "environment: " + env.name());
        return KustomizationFile.parse(named)
                .namespace(env.namespace())
                .image(app.imageName(), app.image(), "latest")
                .toYaml();
    }
}
