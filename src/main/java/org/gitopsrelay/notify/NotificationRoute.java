package org.gitopsrelay.notify;

import java.util.Optional;

import org.gitopsrelay.app.NotificationSettings;
import org.gitopsrelay.config.RelayConfig;

/**
 * Where one app's notifications go: the incoming webhook its app.yaml names, else the REST API (its channel, else
 * the default one), else the relay's incoming webhook, else the log. {@code target} is a channel id or a webhook URL
 * (a secret: never logged).
 */
record NotificationRoute(Kind kind, String target) {

    enum Kind {
        LOG,
        WEBHOOK,
        API
    }

    static NotificationRoute of(RelayConfig.Mattermost config, Optional<NotificationSettings> app) {
        Optional<String> namedWebhook = app.flatMap(NotificationSettings::mattermostWebhook)
                .flatMap(name -> webhookNamed(config.webhooks(), name));
        if (namedWebhook.isPresent()) {
            return new NotificationRoute(Kind.WEBHOOK, namedWebhook.get());
        }
        if (config.url().isPresent() && config.token().isPresent()) {
            Optional<String> channel = app.flatMap(NotificationSettings::mattermostChannelId).or(config::channelId);
            if (channel.isPresent()) {
                return new NotificationRoute(Kind.API, channel.get());
            }
        }
        if (config.webhookUrl().isPresent()) {
            return new NotificationRoute(Kind.WEBHOOK, config.webhookUrl().get());
        }
        return new NotificationRoute(Kind.LOG, null);
    }

    /**
     * The webhook configured under {@code name}. Given as an environment variable
     * ({@code RELAY_MATTERMOST_WEBHOOKS_TEAM_SHOP}) the key reads {@code team.shop}: '-', '_' and '.' are one.
     */
    static Optional<String> webhookNamed(java.util.Map<String, String> webhooks, String name) {
        String wanted = canonical(name);
        return webhooks.entrySet().stream().filter(entry -> canonical(entry.getKey()).equals(wanted))
                .map(java.util.Map.Entry::getValue).findFirst();
    }

    private static String canonical(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[-_.]", "-");
    }

    String sink() {
        return switch (kind) {
            case LOG -> "log";
            case WEBHOOK -> MattermostSender.SINK_WEBHOOK;
            case API -> MattermostSender.SINK_API;
        };
    }

    @Override
    public String toString() {
        // A webhook URL is a secret.
        return kind == Kind.WEBHOOK ? "WEBHOOK(" + MattermostSender.hostOf(target) + ")" : kind + "(" + target + ")";
    }
}
