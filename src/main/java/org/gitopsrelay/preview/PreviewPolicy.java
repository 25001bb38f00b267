package org.gitopsrelay.preview;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * What a rendered preview may hold. Every preview is isolated by a default-deny NetworkPolicy (the preview component's
 * {@code preview-default-deny}: every pod, Ingress and Egress); an app whose copy of the component predates it is
 * told to copy the component again, and its previews are refused until it does. No preview carries secrets of its own
 * making (a Secret, SealedSecret or ExternalSecret would pull staging's or production's credentials into it), and no
 * pod of a preview mounts a service account token (the preview component sets
 * {@code automountServiceAccountToken: false}; a pod template without it, or with a projected volume of a
 * {@code serviceAccountToken}, is refused).
 * <p>
 * A preview of untrusted code (a pull request from a fork) is held to an allow-list, so that nothing the app's base
 * gives its trusted environments hands the fork's code a credential or a way out of its namespace: only the kinds a
 * preview is made of ({@link #FORK_KINDS}); no reference to a secret; volumes of type emptyDir, configMap, downwardAPI
 * or a projection of those two only (no service account token, CSI driver such as the Secrets Store one, host path or
 * persistent volume); no workload-identity or Vault-injector annotation or label ({@link #CREDENTIAL_KEYS}); and no
 * NetworkPolicy egress rule letting its pods out of the namespace but to the cluster DNS pods on port 53
 * ({@link #CLUSTER_DNS}), nor any egress rule opening a range of ports ({@code endPort}).
 */
public final class PreviewPolicy {

    private static final ObjectReader YAML_DOCS = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);
    private static final Set<String> SECRET_KINDS = Set.of("Secret", "SealedSecret", "ExternalSecret",
            "ClusterExternalSecret", "PushSecret");
    /** What the app's base and the preview components render to; anything else is refused for code from a fork. */
    static final Set<String> FORK_KINDS = Set.of("Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy",
            "Deployment", "StatefulSet", "Job", "Service", "Ingress", "ConfigMap", "HorizontalPodAutoscaler",
            "PodDisruptionBudget");
    private static final Set<String> FORK_VOLUMES = Set.of("emptyDir", "configMap", "downwardAPI", "projected");
    private static final Set<String> FORK_PROJECTIONS = Set.of("configMap", "downwardAPI");
    /**
     * Annotation and label keys that make a pod a cloud identity or have a secret injected into it: prefixes (ending
     * in {@code /}) or whole keys. Azure, GKE and EKS workload identity, kube2iam/kiam, AAD pod identity, Vault agent.
     */
    static final List<String> CREDENTIAL_KEYS = List.of("azure.workload.identity/", "iam.gke.io/",
            "eks.amazonaws.com/", "iam.amazonaws.com/", "aadpodidbinding", "vault.hashicorp.com/");
    private static final String FORK = "a preview of code from a fork";
    /**
     * The one peer outside its namespace that a preview of code from a fork may reach, on port 53 only, exactly as the
     * preview component's networkpolicy.yaml names it: the DNS pods of kube-system (a namespace's
     * {@code kubernetes.io/metadata.name} label is set by Kubernetes, and cannot be given to another namespace).
     */
    private static final JsonNode CLUSTER_DNS = parse("""
            namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
            podSelector: {matchLabels: {k8s-app: kube-dns}}
            """);

    private PreviewPolicy() {
    }

    private static JsonNode parse(String yaml) {
        try {
            return YAML_DOCS.readValue(yaml);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As {@link #check(String, boolean, String)}, for an app whose folder is not known here. */
    public static void check(String manifests, boolean untrusted) {
        check(manifests, untrusted, "apps/<app>");
    }

    /**
     * Throws {@link RelayException} ({@code invalid-change}) naming every violation of {@code manifests}, the render
     * of a preview of the app in {@code appFolder} ({@code apps/<app>}, named in what the refusal says to do).
     */
    public static void check(String manifests, boolean untrusted, String appFolder) {
        List<String> violations = new ArrayList<>();
        boolean isolated = false;
        try (var docs = YAML_DOCS.readValues(manifests)) {
            while (docs.hasNextValue()) {
                JsonNode object = (JsonNode) docs.nextValue();
                if (object == null || !object.isObject()) {
                    continue;
                }
                isolated |= isDefaultDeny(object);
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
                    // automountServiceAccountToken says nothing of a token the pod asks for by itself.
                    JsonNode volumes = spec.path("volumes");
                    for (int i = 0; i < volumes.size(); i++) {
                        for (JsonNode source : volumes.get(i).path("projected").path("sources")) {
                            if (source.has("serviceAccountToken")) {
                                violations.add(name + " would mount a service account token (" + path + "/volumes/" + i
                                        + " projects a serviceAccountToken)");
                                break;
                            }
                        }
                    }
                });
                if (untrusted) {
                    checkForkObject(object, name, violations);
                }
            }
        } catch (IOException e) {
            throw new RelayException(Reason.RENDER_FAILED, "The preview does not render to YAML: " + e.getMessage(), e);
        }
        // What the team must do comes first; the note on secrets is for the other violations.
        String why = violations.isEmpty() ? ""
                : untrusted ? " (code from a fork gets no secrets)" : " (previews never carry secrets)";
        if (!isolated) {
            violations.add(0, "it has no default-deny NetworkPolicy (one with podSelector: {} and policyTypes Ingress"
                    + " and Egress), so its pods would run without network isolation: copy"
                    + " kustomize-base/components/preview (and preview-database) into " + appFolder
                    + "/components/ again");
        }
        if (!violations.isEmpty()) {
            throw new RelayException(Reason.INVALID_CHANGE, "The preview is refused: " + String.join("; ", violations)
                    + why);
        }
    }

    /**
     * A NetworkPolicy that selects every pod of the namespace and isolates them both ways, so that they reach and are
     * reached by nothing its rules and the other policies do not allow: what the preview component's
     * {@code preview-default-deny} is. An app onboarded before the component had it has none.
     */
    private static boolean isDefaultDeny(JsonNode object) {
        if (!"NetworkPolicy".equals(object.path("kind").asText())) {
            return false;
        }
        JsonNode spec = object.path("spec");
        JsonNode selector = spec.path("podSelector");
        boolean everyPod = selector.path("matchLabels").isEmpty() && selector.path("matchExpressions").isEmpty();
        List<String> types = new ArrayList<>();
        spec.path("policyTypes").forEach(type -> types.add(type.asText()));
        return everyPod && types.contains("Ingress") && types.contains("Egress");
    }

    private static void checkForkObject(JsonNode object, String name, List<String> violations) {
        String kind = object.path("kind").asText();
        if (!FORK_KINDS.contains(kind)) {
            violations.add(name + ": " + FORK + " may not hold a " + kind);
            return;
        }
        findSecretReferences(object, "", name, violations);
        findCredentialKeys(object, "", name, violations);
        podSpecs(object).values().forEach(spec -> {
            for (JsonNode volume : spec.path("volumes")) {
                checkVolume(volume, name, violations);
            }
        });
        if (!object.path("spec").path("volumeClaimTemplates").isEmpty()) {
            violations.add(name + ": volumeClaimTemplates would give " + FORK + " persistent volumes");
        }
        if ("NetworkPolicy".equals(kind)) {
            JsonNode egress = object.path("spec").path("egress");
            for (int i = 0; i < egress.size(); i++) {
                JsonNode rule = egress.get(i);
                if (opensAPortRange(rule)) {
                    violations.add(name + ": egress rule " + i + " opens a range of ports (endPort), which " + FORK
                            + " may not");
                }
                if (leavesTheNamespace(rule)) {
                    violations.add(name + ": egress rule " + i + " lets pods out of the preview's namespace"
                            + (isDns(rule) ? " (on port 53, to the cluster DNS pods only: namespaceSelector"
                                    + " kubernetes.io/metadata.name: kube-system with podSelector k8s-app: kube-dns)"
                                    : ""));
                }
            }
        }
    }

    /**
     * A {@code secret} volume or projection is reported by {@link #findSecretReferences} already, a
     * {@code serviceAccountToken} projection by {@link #check} for every preview.
     */
    private static void checkVolume(JsonNode volume, String object, List<String> violations) {
        String volumeName = volume.path("name").asText();
        String type = typeOf(volume);
        if (type.equals("secret")) {
            return;
        }
        if (!FORK_VOLUMES.contains(type)) {
            violations.add(object + ": volume " + volumeName + " is of type " + type + ", which " + FORK
                    + " may not mount");
            return;
        }
        for (JsonNode source : volume.path("projected").path("sources")) {
            String projection = typeOf(source);
            if (!projection.equals("secret") && !projection.equals("serviceAccountToken")
                    && !FORK_PROJECTIONS.contains(projection)) {
                violations.add(object + ": volume " + volumeName + " projects a " + projection + ", which " + FORK
                        + " may not mount");
            }
        }
    }

    /** The volume source (or projection) a volume entry holds: its one field but {@code name}. */
    private static String typeOf(JsonNode entry) {
        var fields = entry.fieldNames();
        while (fields.hasNext()) {
            String field = fields.next();
            if (!field.equals("name")) {
                return field;
            }
        }
        return "(none)";
    }

    /**
     * An egress rule to everything, to an address block or to other namespaces, but for a rule on port 53 only to the
     * cluster DNS pods ({@link #CLUSTER_DNS}): port 53 to anywhere else is a tunnel.
     */
    private static boolean leavesTheNamespace(JsonNode rule) {
        JsonNode peers = rule.path("to");
        if (!peers.isArray() || peers.isEmpty()) {
            return true;
        }
        boolean dns = isDns(rule);
        for (JsonNode peer : peers) {
            if (dns && peer.equals(CLUSTER_DNS)) {
                continue;
            }
            if (peer.has("ipBlock") || peer.has("namespaceSelector")) {
                return true;
            }
        }
        return false;
    }

    /** A rule whose every port is 53. */
    private static boolean isDns(JsonNode rule) {
        JsonNode ports = rule.path("ports");
        boolean dns = ports.isArray() && !ports.isEmpty();
        for (JsonNode port : ports) {
            dns &= port.path("port").asText().equals("53");
        }
        return dns;
    }

    /** {@code endPort}: with it, {@code port: 53} is every port from 53 up. */
    private static boolean opensAPortRange(JsonNode rule) {
        for (JsonNode port : rule.path("ports")) {
            if (port.has("endPort")) {
                return true;
            }
        }
        return false;
    }

    /** Labels and annotations of {@link #CREDENTIAL_KEYS}, on the object and on every template within it. */
    private static void findCredentialKeys(JsonNode node, String path, String object, List<String> violations) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if (field.getKey().equals("metadata") && field.getValue().isObject()) {
                    for (String what : List.of("annotation", "label")) {
                        field.getValue().path(what + "s").fieldNames().forEachRemaining(key -> {
                            if (isCredentialKey(key)) {
                                violations.add(object + ": " + what + " " + key + " at " + path + "/metadata would give "
                                        + FORK + " credentials");
                            }
                        });
                    }
                } else {
                    findCredentialKeys(field.getValue(), path + "/" + field.getKey(), object, violations);
                }
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                findCredentialKeys(node.get(i), path + "/" + i, object, violations);
            }
        }
    }

    private static boolean isCredentialKey(String key) {
        return CREDENTIAL_KEYS.stream().anyMatch(prefix -> prefix.endsWith("/") ? key.startsWith(prefix)
                : key.equals(prefix));
    }

    /**
     * The pod specs of {@code object} by their path: a Pod's own, a pod template's ({@code spec.template}: Deployment,
     * StatefulSet, DaemonSet, ReplicaSet, Job, and any other kind built the same way) and a CronJob's.
     */
    private static Map<String, JsonNode> podSpecs(JsonNode object) {
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
