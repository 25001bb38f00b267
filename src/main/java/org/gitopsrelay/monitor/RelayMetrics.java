package org.gitopsrelay.monitor;

/** Every metric name of the service, in one place; documented in docs/metrics.md. */
public final class RelayMetrics {

    /** Webhook deliveries by provider and outcome (accepted, ignored, ping, or the error reason). */
    public static final String WEBHOOK_DELIVERIES = "relay.webhook.deliveries";
    /** Time to write an event to Kafka and get its acknowledgement. */
    public static final String KAFKA_SEND = "relay.kafka.send";
    /** Git events handled, by type and outcome (committed, unchanged, stale, ignored, failed, dead-lettered). */
    public static final String EVENTS_HANDLED = "relay.events.handled";
    /** Events sent to relay.dead-letter, by reason. */
    public static final String DEAD_LETTERS = "relay.dead.letters";
    /** Handler attempts that failed with a retryable reason and were tried again. */
    public static final String HANDLER_RETRIES = "relay.handler.retries";
    public static final String GIT_FETCH = "relay.git.fetch";
    public static final String GIT_PUSH = "relay.git.push";
    /** Pushes rejected because another writer pushed first (each is re-applied). */
    public static final String GIT_PUSH_CONFLICTS = "relay.git.push.conflicts";
    public static final String RENDER = "relay.render";
    /** Apps whose app.yaml is valid. */
    public static final String APPS_REGISTERED = "relay.apps.registered";
    /** Apps whose app.yaml cannot be used (1 per app, tagged with the app). */
    public static final String APPS_INVALID = "relay.apps.invalid";
    /** Deployment events seen by the monitor role, by app, environment and outcome. */
    public static final String DEPLOYMENTS = "relay.deployments";
    /** Time from the webhook's acceptance to the pushed GitOps commit, as seen by the monitor role. */
    public static final String DEPLOYMENT_LEAD_TIME = "relay.deployment.lead.time";

    private RelayMetrics() {
    }
}
