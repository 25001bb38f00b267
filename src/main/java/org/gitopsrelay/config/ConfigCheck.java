package org.gitopsrelay.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * Checks the settings at start and refuses to start with every problem listed, so that a typo fails the rollout
 * rather than a notification or a role going quietly missing. Secrets are never echoed.
 */
@ApplicationScoped
public class ConfigCheck {

    private static final Logger LOG = Logger.getLogger(ConfigCheck.class);
    private static final Pattern CHANNEL_ID = Pattern.compile("[a-z0-9]{26}");
    /** GitHub gives up on a webhook delivery not answered within this. */
    private static final Duration GITHUB_TIMEOUT = Duration.ofSeconds(10);

    private final RelayConfig config;

    @Inject
    public ConfigCheck(RelayConfig config) {
        this.config = config;
    }

    void onStart(@Observes @Priority(0) StartupEvent event) {
        warnings(config).forEach(LOG::warn);
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            String message = "gitops-relay cannot start: " + String.join("; ", problems);
            LOG.error(message);
            throw new IllegalStateException(message);
        }
    }

    /** Every problem of the settings, in words an operator can act on. */
    public static List<String> problems(RelayConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            Role.parse(config.roles());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        RelayConfig.Mattermost mattermost = config.mattermost();
        if (mattermost.url().isPresent() != mattermost.token().isPresent()) {
            problems.add("relay.mattermost.url and relay.mattermost.token go together (the REST API needs both)");
        }
        mattermost.url().ifPresent(url -> httpUrl("relay.mattermost.url", url, problems));
        mattermost.webhookUrl().ifPresent(url -> httpUrl("relay.mattermost.webhook-url", url, problems));
        for (Map.Entry<String, String> webhook : mattermost.webhooks().entrySet()) {
            httpUrl("relay.mattermost.webhooks." + webhook.getKey(), webhook.getValue(), problems);
        }
        mattermost.channelId().filter(id -> !CHANNEL_ID.matcher(id).matches()).ifPresent(id -> problems.add(
                "relay.mattermost.channel-id '" + id + "' is not a channel id (26 lower-case letters and digits)"));
        if (mattermost.attempts() < 1) {
            problems.add("relay.mattermost.attempts must be at least 1");
        }
        positive("relay.mattermost.backoff", mattermost.backoff(), problems);
        positive("relay.mattermost.timeout", mattermost.timeout(), problems);
        if (mattermost.maxBackoff().compareTo(mattermost.backoff()) < 0) {
            problems.add("relay.mattermost.max-backoff must not be shorter than relay.mattermost.backoff");
        }
        config.gitops().webUrl().ifPresent(url -> httpUrl("relay.gitops.web-url", url, problems));
        positive("relay.render.timeout", config.render().timeout(), problems);
        if (config.kafka().handlerAttempts() < 1) {
            problems.add("relay.kafka.handler-attempts must be at least 1");
        }
        positive("relay.kafka.handler-backoff", config.kafka().handlerBackoff(), problems);
        if (config.kafka().handlerMaxBackoff().compareTo(config.kafka().handlerBackoff()) < 0) {
            problems.add("relay.kafka.handler-max-backoff must not be shorter than relay.kafka.handler-backoff");
        }
        positive("relay.webhook.registry-wait", config.webhook().registryWait(), problems);
        if (config.webhook().registryWait().compareTo(GITHUB_TIMEOUT) >= 0) {
            problems.add("relay.webhook.registry-wait must be well under GitHub's 10 s delivery timeout");
        }
        if (config.render().maxOutputBytes() < 1) {
            problems.add("relay.render.max-output-bytes must be positive");
        }
        if (config.render().parallelism() < 0 || config.render().parallelism() > 64) {
            problems.add("relay.render.parallelism must be between 0 (one per core) and 64, not "
                    + config.render().parallelism());
        }
        positive("relay.gitops.timeout", config.gitops().timeout(), problems);
        if (config.gitops().maxStaleness().isNegative()) {
            problems.add("relay.gitops.max-staleness must not be negative");
        }
        if (config.gitops().trailerSearchDepth() < 1) {
            problems.add("relay.gitops.trailer-search-depth must be at least 1");
        }
        apiTokens(config.api(), problems);
        positive("relay.gitops.packing.interval", config.gitops().packing().interval(), problems);
        if (config.gitops().packing().packLimit() < 2) {
            problems.add("relay.gitops.packing.pack-limit must be at least 2");
        }
        if (config.gitops().packing().looseLimit() < 1) {
            problems.add("relay.gitops.packing.loose-limit must be at least 1");
        }
        if (config.gitops().packing().idle().isNegative()) {
            problems.add("relay.gitops.packing.idle must not be negative");
        }
        if (config.kafka().seenEvents() < 100) {
            problems.add("relay.kafka.seen-events must be at least 100 (fewer lets a redelivered event through)");
        }
        positive("relay.kafka.replay-timeout", config.kafka().replayTimeout(), problems);
        if (config.kafka().replayTimeout().compareTo(Duration.ofMinutes(10)) > 0) {
            problems.add("relay.kafka.replay-timeout must be at most PT10M");
        }
        Duration skew = config.webhook().maxClockSkew();
        if (skew.isNegative() || skew.compareTo(Duration.ofHours(1)) > 0) {
            problems.add("relay.webhook.max-clock-skew must be between PT0S and PT1H (a larger skew lets a forged"
                    + " time hold back later changes for that long)");
        }
        return problems;
    }

    /** Settings that work but are likely not what was meant. */
    public static List<String> warnings(RelayConfig config) {
        List<String> warnings = new ArrayList<>();
        RelayConfig.Mattermost mattermost = config.mattermost();
        if (mattermost.url().isPresent() && mattermost.token().isPresent() && mattermost.channelId().isEmpty()) {
            warnings.add("relay.mattermost.channel-id is not set: apps whose app.yaml names no channel are notified"
                    + " through relay.mattermost.webhook-url if set, else only in the log");
        }
        if (config.webhook().registryWait().plus(config.kafka().sendTimeout()).compareTo(GITHUB_TIMEOUT) >= 0) {
            warnings.add("relay.webhook.registry-wait and relay.kafka.send-timeout add up to 10 s or more: a webhook"
                    + " may be answered after GitHub gave up on it");
        }
        if (mattermost.url().filter(url -> url.trim().startsWith("http://")).isPresent()) {
            warnings.add("relay.mattermost.url is plain http: the bot token crosses the network unencrypted");
        }
        return warnings;
    }

    private static final Pattern TOKEN_NAME = Pattern.compile("[a-z0-9]{1,40}");

    /** Names end up in commit trailers and events: kept to a plain shape. Secrets are never echoed. */
    private static void apiTokens(RelayConfig.Api api, List<String> problems) {
        Map<String, String> owners = new HashMap<>();
        api.token().filter(token -> !token.isEmpty()).ifPresent(token -> owners.put(token, "admin"));
        for (Map.Entry<String, RelayConfig.Api.NamedToken> named : new TreeMap<>(api.tokens()).entrySet()) {
            String name = named.getKey();
            String key = "relay.api.tokens." + name;
            if (!TOKEN_NAME.matcher(name).matches()) {
                problems.add(key + ": a token's name must be 1-40 of a-z and 0-9 (it names who asked in commits)");
                continue;
            }
            if (name.equals("admin") && api.token().isPresent()) {
                problems.add(key + ": 'admin' is the name of relay.api.token; choose another");
            }
            String token = named.getValue().token();
            if (token.length() < 16) {
                problems.add(key + ".token must be at least 16 characters");
            }
            String owner = owners.putIfAbsent(token, name);
            if (owner != null) {
                problems.add(key + ".token is the same as " + (owner.equals("admin") ? "relay.api.token"
                        : "relay.api.tokens." + owner + ".token") + ": each token must name one caller");
            }
        }
    }

    private static void positive(String key, Duration value, List<String> problems) {
        if (value.isZero() || value.isNegative()) {
            problems.add(key + " must be positive");
        }
    }

    /** The value may be a secret (a webhook URL): only its shape is reported. */
    private static void httpUrl(String key, String value, List<String> problems) {
        Optional<URI> uri;
        try {
            uri = Optional.of(URI.create(value.trim()));
        } catch (IllegalArgumentException e) {
            uri = Optional.empty();
        }
        boolean ok = uri.filter(u -> ("https".equals(u.getScheme()) || "http".equals(u.getScheme()))
                && u.getHost() != null).isPresent();
        if (!ok) {
            problems.add(key + " is not an http(s) URL");
        }
    }
}
