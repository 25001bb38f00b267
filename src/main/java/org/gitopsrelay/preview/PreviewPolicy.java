package org.gitopsrelay.preview;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.gitopsrelay.pipeline.RelayException;
import org.gitopsrelay.pipeline.RelayException.Reason;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * What a rendered preview may hold. No preview carries secrets of its own making (a Secret, SealedSecret or
 * ExternalSecret would pull staging's or production's credentials into it), and no pod of a preview mounts a service
 * account token (the preview component sets {@code automountServiceAccountToken: false}; a pod template without it
 * is refused). A preview of untrusted code (a pull request from a fork) may not even refer to a secret, so its code
 * cannot read any credential at all.
 */
public final class PreviewPolicy {

    private static final ObjectReader YAML_DOCS = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);
    private static final Set<String> SECRET_KINDS = Set.of("Secret", "SealedSecret", "ExternalSecret",
            "ClusterExternalSecret", "PushSecret");

    private PreviewPolicy() {
    }

    /** Throws {@link RelayException} ({@code invalid-change}) naming every violation of {@code manifests}. */
    public static void check(String manifests, boolean untrusted) {
        List<String> violations = new ArrayList<>();
        try (var docs = YAML_DOCS.readValues(manifests)) {
            while (docs.hasNextValue()) {
                JsonNode object = (JsonNode) docs.nextValue();
                if (object == null || !object.isObject()) {
                    continue;
                }
                String name = object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
                if (SECRET_KINDS.contains(object.path("kind").asText())) {
                    violations.add(name + " would give the preview credentials");
                    continue;
                }
                podSpecs(object).forEach((path, spec) -> {
                    if (!spec.path("automountServiceAccountToken").isBoolean()
                            || spec.path("automountServiceAccountToken").asBoolean()) {
                        violations.add(name + " would mount a service account token (" + path
                                + "/automountServiceAccountToken must be false)");
                    }
                });
                if (untrusted) {
                    findSecretReferences(object, "", name, violations);
                }
            }
        } catch (IOException e) {
            throw new RelayException(Reason.RENDER_FAILED, "The preview does not render to YAML: " + e.getMessage(), e);
        }
        if (!violations.isEmpty()) {
            throw new RelayException(Reason.INVALID_CHANGE, "The preview is refused: " + String.join("; ", violations)
                    + (untrusted ? " (code from a fork gets no secrets)" : " (previews never carry secrets)"));
        }
    }

    /**
     * The pod specs of {@code object} by their path: a Pod's own, a pod template's ({@code spec.template}: Deployment,
     * StatefulSet, DaemonSet, ReplicaSet, Job, and any other kind built the same way) and a CronJob's.
     */
    static Map<String, JsonNode> podSpecs(JsonNode object) {
        Map<String, JsonNode> specs = new LinkedHashMap<>();
        JsonNode spec = object.path("spec");
        if ("Pod".equals(object.path("kind").asText())) {
            specs.put("/spec", spec);
        }
        if (spec.path("template").path("spec").isObject()) {
            specs.put("/spec/template/spec", spec.path("template").path("spec"));
        }
        JsonNode cronJobPod = spec.path("jobTemplate").path("spec").path("template").path("spec");
        if (cronJobPod.isObject()) {
            specs.put("/spec/jobTemplate/spec/template/spec", cronJobPod);
        }
        return specs;
    }

    /** {@code secretKeyRef}, {@code secretRef} and {@code secret} volumes, wherever they are nested. */
    private static void findSecretReferences(JsonNode node, String path, String object, List<String> violations) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                String key = field.getKey();
                if ((key.equals("secretKeyRef") || key.equals("secretRef") || key.equals("secret"))
                        && field.getValue().isObject()) {
                    violations.add(object + " refers to a secret at " + path + "/" + key);
                } else {
                    findSecretReferences(field.getValue(), path + "/" + key, object, violations);
                }
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                findSecretReferences(node.get(i), path + "/" + i, object, violations);
            }
        }
    }
}
