package org.gitopsrelay.webhook;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of a 202: the ids of the events written, or why the delivery maps to no action; {@code skipped} names
 * the apps a multi-app delivery left alone, with their reasons.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookAnswer(List<String> events, String ignored, Map<String, String> skipped) {

    public static WebhookAnswer ignored(String reason) {
        return new WebhookAnswer(null, reason, null);
    }
}
