package org.gitopsrelay.preview;

import java.time.Instant;
import java.util.Optional;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.Namespaces;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.gitops.KustomizationFile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes and reads a preview's {@code kustomization.yaml}: the app's base with the preview component, its own
 * namespace and host, the image of the head commit, and annotations naming what it shows. Every value is put in its
 * field by a YAML library; branch names and authors from webhooks are text in annotations, never structure.
 */
public final class PreviewOverlay {

    private PreviewOverlay() {
    }

    public static String namespace(String app, String slug) {
        return Namespaces.of(app, slug);
    }

    public static String host(String app, String slug, String domain) {
        return slug + "." + app + "." + domain;
    }

    /**
     * The overlay of {@code preview}, from scratch: an existing one is rewritten whole. With a database, the preview
     * gets its own, seeded from staging's backups unless {@code untrusted}: code from a fork sees no staging data.
     */
    public static String write(AppSpec app, Preview preview, String imageTag, String eventId, boolean untrusted) {
        ObjectNode root = EventCodec.JSON.createObjectNode();
        root.put("apiVersion", "kustomize.config.k8s.io/v1beta1");
        root.put("kind", "Kustomization");
        root.put("namespace", preview.namespace());
        root.putArray("resources").add("../../base");
        ArrayNode components = root.putArray("components").add("../../components/preview");
        app.database().ifPresent(database -> components.add("../../components/preview-database"));
        ObjectNode pairs = root.putArray("labels").addObject().putObject("pairs");
        pairs.put("app.kubernetes.io/instance", preview.namespace());
        pairs.put("gitops-relay.io/app", app.name());
        pairs.put("gitops-relay.io/preview", preview.slug());
        ((ObjectNode) root.get("labels").get(0)).put("includeSelectors", false);
        // What the preview shows goes on its Namespace only: on pod templates it would restart the database and
        // hit the seed Job's immutable template at every new commit.
        ObjectNode annotations = EventCodec.JSON.createObjectNode();
        annotations.put("gitops-relay.io/preview-kind", preview.kind());
        if (preview.pullRequest() != null) {
            annotations.put("gitops-relay.io/pull-request", String.valueOf(preview.pullRequest()));
        }
        annotations.put("gitops-relay.io/branch", preview.branch());
        if (preview.author() != null) {
            annotations.put("gitops-relay.io/author", preview.author());
        }
        annotations.put("gitops-relay.io/head-commit", preview.headCommit());
        annotations.put("gitops-relay.io/created-at", preview.createdAt().toString());
        annotations.put("gitops-relay.io/expires-at", preview.expiresAt().toString());
        ObjectNode image = root.putArray("images").addObject();
        image.put("name", app.imageName());
        image.put("newName", app.image());
        image.put("newTag", imageTag);
        ObjectNode patch = root.putArray("patches").addObject();
        ObjectNode target = patch.putObject("target");
        target.put("kind", "Ingress");
        target.put("name", "web");
        String host = preview.url().substring("https://".length());
        ArrayNode operations = EventCodec.JSON.createArrayNode();
        operations.addObject().put("op", "replace").put("path", "/spec/rules/0/host").put("value", host);
        operations.addObject().put("op", "replace").put("path", "/spec/tls/0/hosts/0").put("value", host);
        patch.put("patch", operations.toString());
        ObjectNode namespacePatch = root.withArray("patches").addObject();
        namespacePatch.putObject("target").put("kind", "Namespace");
        ArrayNode describe = EventCodec.JSON.createArrayNode();
        describe.addObject().put("op", "add").put("path", "/metadata/annotations").set("value", annotations);
        namespacePatch.put("patch", describe.toString());
        app.database().ifPresent(database -> root.withArray("patches").add(seedSource(untrusted ? "" : database.backups())));
        KustomizationFile file = KustomizationFile.parse("{}");
        file.tree().setAll(root);
        annotations.fields().forEachRemaining(entry -> file.annotation(
                entry.getKey().substring(KustomizationFile.ANNOTATION_PREFIX.length()), entry.getValue().asText()));
        file.annotation("url", preview.url())
                .annotation("updated-at", preview.updatedAt().toString())
                .annotation("event", eventId);
        return file.toYaml();
    }

    /** Sets where the seed Job finds staging's backups (a strategic merge by container and variable name). */
    private static ObjectNode seedSource(String backups) {
        ObjectNode job = EventCodec.JSON.createObjectNode();
        job.put("apiVersion", "batch/v1");
        job.put("kind", "Job");
        job.putObject("metadata").put("name", "db-seed");
        ObjectNode container = job.putObject("spec").putObject("template").putObject("spec").putArray("containers")
                .addObject();
        container.put("name", "seed");
        container.putArray("env").addObject().put("name", "BACKUP_SOURCE").put("value", backups);
        ObjectNode patch = EventCodec.JSON.createObjectNode();
        patch.put("patch", job.toString());
        return patch;
    }

    /** The preview an overlay describes; empty when the file is not one the service wrote. */
    public static Optional<Preview> read(String app, String slug, String yaml) {
        try {
            KustomizationFile file = KustomizationFile.parse(yaml);
            String kind = file.annotation("preview-kind").orElse(null);
            if (kind == null) {
                return Optional.empty();
            }
            String pr = file.annotation("pull-request").orElse(null);
            return Optional.of(new Preview(app, slug, kind, pr == null ? null : Integer.valueOf(pr),
                    file.annotation("branch").orElse(null), file.annotation("author").orElse(null),
                    file.annotation("head-commit").orElse(null), imageOf(file), file.namespace().orElse(null),
                    file.annotation("url").orElse(null), file.annotation("created-at").map(Instant::parse).orElse(null),
                    file.annotation("updated-at").map(Instant::parse).orElse(null),
                    file.annotation("expires-at").map(Instant::parse).orElse(null)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String imageOf(KustomizationFile file) {
        var images = file.tree().path("images");
        if (images.isArray() && images.size() > 0) {
            return images.get(0).path("newName").asText() + ":" + images.get(0).path("newTag").asText();
        }
        return null;
    }
}
