package org.gitopsrelay.app;

import java.util.Optional;

/**
 * Where an app's notifications go ({@code notifications.mattermost} in app.yaml): a channel for the REST API, or
 * the name of an incoming webhook whose URL is configured as {@code relay.mattermost.webhooks.<name>}. A URL or a
 * token is a secret and never lives in app.yaml. Both empty: the relay's default channel.
 */
public record NotificationSettings(Optional<String> mattermostChannelId, Optional<String> mattermostWebhook) {

    public static final NotificationSettings DEFAULT = new NotificationSettings(Optional.empty(), Optional.empty());
}
