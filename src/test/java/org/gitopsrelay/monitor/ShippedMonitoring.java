package org.gitopsrelay.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.gitopsrelay.testing.RenderedManifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** What deploy/monitoring ships: the alert rules, their promtool unit tests and the Grafana dashboard. */
final class ShippedMonitoring {

    static final Path FOLDER = Path.of("deploy", "monitoring");
    static final Path RULE_TESTS = FOLDER.resolve("tests");
    static final Path DASHBOARD = FOLDER.resolve("dashboards").resolve("gitops-relay.json");
    /** The name the promtool unit tests give their rules file (their {@code rule_files}). */
    static final String RULES_FILE = "relay-rules.yaml";

    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();

    private ShippedMonitoring() {
    }

    /** The {@code spec} of the PrometheusRule as Kustomize renders it: the groups of a plain Prometheus rules file. */
    static JsonNode ruleSpec(Path scratch) {
        return RenderedManifests.of(FOLDER, scratch).one("PrometheusRule", "gitops-relay").path("spec");
    }

    /** Writes the rules into {@code dir} under the name the unit tests expect, and returns the file. */
    static Path writeRulesFile(JsonNode spec, Path dir) throws IOException {
        Path file = dir.resolve(RULES_FILE);
        YAML.writeValue(file.toFile(), spec);
        return file;
    }

    static List<JsonNode> rules(JsonNode spec) {
        List<JsonNode> rules = new ArrayList<>();
        spec.path("groups").forEach(group -> group.path("rules").forEach(rules::add));
        return rules;
    }

    static List<JsonNode> alerts(JsonNode spec) {
        return rules(spec).stream().filter(rule -> rule.hasNonNull("alert")).toList();
    }

    static List<Path> ruleTestFiles() throws IOException {
        try (Stream<Path> files = Files.list(RULE_TESTS)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
    }

    static JsonNode dashboard() throws IOException {
        return JSON.readTree(DASHBOARD.toFile());
    }

    /** Every panel that queries, with the panels of collapsed rows; rows themselves only group. */
    static List<JsonNode> queryPanels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            if ("row".equals(panel.path("type").asText())) {
                panel.path("panels").forEach(panels::add);
            } else {
                panels.add(panel);
            }
        });
        return panels;
    }

    /** The PromQL of every panel target. */
    static List<String> panelQueries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        queryPanels(dashboard).forEach(panel -> panel.path("targets")
                .forEach(target -> queries.add(target.path("expr").asText())));
        return queries;
    }

    /** The queries of the template variables ({@code label_values(...)}), which name metrics too. */
    static List<String> variableQueries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(variable -> {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                queries.add(query.isObject() ? query.path("query").asText() : query.asText());
            }
        });
        return queries;
    }
}
