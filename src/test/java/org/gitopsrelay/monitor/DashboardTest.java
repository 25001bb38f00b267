package org.gitopsrelay.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** The Grafana dashboard of deploy/monitoring: it loads, every panel queries, and every query is valid PromQL. */
class DashboardTest {

    /** A DORA metric with its label selector, if any. */
    private static final Pattern DORA_SELECTOR = Pattern.compile("relay_dora_\\w+(\\{[^}]*})?");

    @TempDir
    Path tmp;

    @Test
    void everyPanelHasADataSourceAndAQuery() throws IOException {
        JsonNode dashboard = ShippedMonitoring.dashboard();

        assertThat(dashboard.path("uid").asText()).isNotBlank();
        List<JsonNode> panels = ShippedMonitoring.queryPanels(dashboard);
        assertThat(panels).isNotEmpty().allSatisfy(panel -> {
            String title = panel.path("title").asText();
            assertThat(title).isNotBlank();
            assertThat(panel.path("datasource").path("uid").asText()).as("data source of %s", title).isNotBlank();
            assertThat(panel.path("targets")).as("targets of %s", title).isNotEmpty()
                    .allSatisfy(target -> assertThat(target.path("expr").asText()).as("a query of %s", title)
                            .isNotBlank());
        });
        assertThat(panels.stream().map(panel -> panel.path("id").asInt()).distinct()).as("panel ids")
                .hasSize(panels.size());
    }

    @Test
    void everyDeliveryPanelFollowsTheChosenAppAndEnvironment() throws IOException {
        JsonNode dashboard = ShippedMonitoring.dashboard();
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(variable -> variables.put(variable.path("name").asText(),
                variable));

        assertThat(variables).containsKeys("app", "environment");
        for (String name : List.of("app", "environment")) {
            assertThat(variables.get(name).path("type").asText()).isEqualTo("query");
            assertThat(variables.get(name).path("includeAll").asBoolean()).isTrue();
        }
        List<String> selectors = new ArrayList<>();
        for (String query : ShippedMonitoring.panelQueries(dashboard)) {
            Matcher dora = DORA_SELECTOR.matcher(query);
            while (dora.find()) {
                selectors.add(dora.group());
            }
        }
        assertThat(selectors).isNotEmpty().allSatisfy(selector -> assertThat(selector)
                .contains("{", "app=~\"$app\"", "environment=~\"$environment\""));
    }

    @Test
    void theDashboardShowsDeliveryEnvironmentsPreviewsAndThePipelinesHealth() throws IOException {
        String queries = String.join("\n", ShippedMonitoring.panelQueries(ShippedMonitoring.dashboard()));

        assertThat(queries).contains("relay_dora_deployments_total", "relay_dora_lead_time_seconds_bucket{stage=\"committed\"",
                "relay_dora_change_failures_total", "relay_dora_recovery_time_seconds_sum",
                "relay_dora_recovery_time_seconds_count", "relay_previews_live", "relay_webhook_deliveries_total",
                "relay_dead_letters_total", "relay_handler_retries_total", "relay_kafka_send_seconds",
                "relay_render_seconds", "relay_git_push_seconds", "relay_consumer_lag_records",
                "relay_readiness", "relay_notifications_total", "relay_notification_retries_total",
                "relay_notification_seconds");
    }

    @Test
    void everyPanelQueryIsValidPromQL() throws IOException {
        // Grafana fills these in before Prometheus sees the query; any valid value will do for a syntax check.
        Map<String, String> grafana = new LinkedHashMap<>();
        grafana.put("$__range_s", "3600");
        grafana.put("$__rate_interval", "5m");
        grafana.put("$__range", "1h");
        grafana.put("$app", ".*");
        grafana.put("$environment", ".*");
        List<Map<String, String>> rules = new ArrayList<>();
        List<String> queries = ShippedMonitoring.panelQueries(ShippedMonitoring.dashboard());
        for (int i = 0; i < queries.size(); i++) {
            String expr = queries.get(i);
            for (Map.Entry<String, String> variable : grafana.entrySet()) {
                expr = expr.replace(variable.getKey(), variable.getValue());
            }
            rules.add(Map.of("record", "dashboard:query_" + i, "expr", expr));
        }
        Path file = tmp.resolve("dashboard-queries.yaml");
        ShippedMonitoring.YAML.writeValue(file.toFile(),
                Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules))));

        Promtool.Result result = Promtool.run(tmp, List.of("check", "rules", file.toString()));

        assertThat(result.exitCode()).as("promtool check rules on the dashboard's queries said:%n%s", result.output())
                .isZero();
    }
}
