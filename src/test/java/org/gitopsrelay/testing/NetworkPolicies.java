package org.gitopsrelay.testing;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a set of rendered NetworkPolicies lets through, by the rules of the Kubernetes API: a pod selected by no
 * policy of a direction is open in that direction; a selected one accepts only what some rule of a selecting policy
 * admits. Enough of the model to ask "may this pod talk to that one on this port" of shipped manifests; a named port
 * is not resolved (the test fails rather than guess).
 */
public final class NetworkPolicies {

    /** A pod (its namespace, that namespace's labels and its own labels), or an address outside the cluster. */
    public record Peer(String namespace, Map<String, String> namespaceLabels, Map<String, String> podLabels, String ip) {

        /** A pod of namespace {@code namespace}, which carries the label Kubernetes gives it. */
        public static Peer pod(String namespace, Map<String, String> podLabels) {
            return new Peer(namespace, Map.of("kubernetes.io/metadata.name", namespace), podLabels, null);
        }

        public static Peer address(String ip) {
            return new Peer(null, Map.of(), null, ip);
        }

        boolean isPod() {
            return podLabels != null;
        }
    }

    private final List<JsonNode> policies;

    private NetworkPolicies(List<JsonNode> policies) {
        this.policies = policies;
    }

    public static NetworkPolicies of(List<JsonNode> policies) {
        return new NetworkPolicies(policies);
    }

    /** Whether {@code pod} accepts a connection from {@code from} on {@code port}/{@code protocol}. */
    public boolean admits(Peer pod, Peer from, int port, String protocol) {
        return allowed(pod, from, port, protocol, "Ingress", "ingress", "from");
    }

    /** Whether {@code pod} may open a connection to {@code to} on {@code port}/{@code protocol}. */
    public boolean lets(Peer pod, Peer to, int port, String protocol) {
        return allowed(pod, to, port, protocol, "Egress", "egress", "to");
    }

    /** Whether some policy of {@code pod}'s namespace selects it for {@code type} (Ingress or Egress). */
    public boolean isolates(Peer pod, String type) {
        return selecting(pod, type).findAny().isPresent();
    }

    private boolean allowed(Peer pod, Peer other, int port, String protocol, String type, String rules, String peers) {
        if (!isolates(pod, type)) {
            return true;
        }
        return selecting(pod, type).anyMatch(policy -> {
            for (JsonNode rule : policy.path("spec").path(rules)) {
                if (portMatches(rule.path("ports"), port, protocol)
                        && peerMatches(rule.path(peers), other, namespaceOf(policy))) {
                    return true;
                }
            }
            return false;
        });
    }

    private java.util.stream.Stream<JsonNode> selecting(Peer pod, String type) {
        return policies.stream().filter(policy -> Objects.equals(namespaceOf(policy), pod.namespace()))
                .filter(policy -> types(policy).contains(type))
                .filter(policy -> selects(policy.path("spec").path("podSelector"), pod.podLabels()));
    }

    private static String namespaceOf(JsonNode policy) {
        return policy.path("metadata").path("namespace").asText(null);
    }

    /** policyTypes, or what the API assumes without it: Ingress, and Egress when there are egress rules. */
    private static List<String> types(JsonNode policy) {
        JsonNode types = policy.path("spec").path("policyTypes");
        if (types.isArray() && !types.isEmpty()) {
            List<String> list = new java.util.ArrayList<>();
            types.forEach(type -> list.add(type.asText()));
            return list;
        }
        return policy.path("spec").has("egress") ? List.of("Ingress", "Egress") : List.of("Ingress");
    }

    private static boolean portMatches(JsonNode ports, int port, String protocol) {
        if (!ports.isArray() || ports.isEmpty()) {
            return true;
        }
        for (JsonNode entry : ports) {
            if (!entry.path("protocol").asText("TCP").equals(protocol)) {
                continue;
            }
            JsonNode number = entry.path("port");
            if (number.isMissingNode()) {
                return true;
            }
            if (!number.isInt()) {
                throw new AssertionError("named port " + number + " is not resolved by this model");
            }
            int end = entry.path("endPort").asInt(number.asInt());
            if (port >= number.asInt() && port <= end) {
                return true;
            }
        }
        return false;
    }

    private static boolean peerMatches(JsonNode peers, Peer other, String policyNamespace) {
        if (!peers.isArray() || peers.isEmpty()) {
            return true;
        }
        for (JsonNode peer : peers) {
            if (peer.has("ipBlock")) {
                if (other.ip() != null && inBlock(peer.path("ipBlock"), other.ip())) {
                    return true;
                }
                continue;
            }
            if (!other.isPod()) {
                continue;
            }
            boolean namespaceOk = peer.has("namespaceSelector")
                    ? selects(peer.path("namespaceSelector"), other.namespaceLabels())
                    : Objects.equals(policyNamespace, other.namespace());
            boolean podOk = !peer.has("podSelector") || selects(peer.path("podSelector"), other.podLabels());
            if (namespaceOk && podOk) {
                return true;
            }
        }
        return false;
    }

    /** A LabelSelector: matchLabels and matchExpressions; an empty one selects everything. */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        if (labels == null) {
            return false;
        }
        var matchLabels = selector.path("matchLabels").fields();
        while (matchLabels.hasNext()) {
            var pair = matchLabels.next();
            if (!pair.getValue().asText().equals(labels.get(pair.getKey()))) {
                return false;
            }
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            String value = labels.get(expression.path("key").asText());
            List<String> values = new java.util.ArrayList<>();
            expression.path("values").forEach(v -> values.add(v.asText()));
            boolean ok = switch (expression.path("operator").asText()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("unknown operator in " + expression);
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean inBlock(JsonNode block, String ip) {
        if (!inCidr(block.path("cidr").asText(), ip)) {
            return false;
        }
        for (JsonNode except : block.path("except")) {
            if (inCidr(except.asText(), ip)) {
                return false;
            }
        }
        return true;
    }

    /** IPv4 only: an IPv6 block never holds an IPv4 address, and the tests ask about IPv4 ones. */
    private static boolean inCidr(String cidr, String ip) {
        if (cidr.contains(":") || ip.contains(":")) {
            return cidr.contains(":") && ip.contains(":") && cidr.startsWith("::/0");
        }
        String[] parts = cidr.split("/");
        int bits = Integer.parseInt(parts[1]);
        long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        return (toLong(parts[0]) & mask) == (toLong(ip) & mask);
    }

    private static long toLong(String ip) {
        long value = 0;
        for (String octet : ip.split("\\.")) {
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }
}
