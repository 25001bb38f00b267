package org.gitopsrelay.notify;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A Mattermost incoming webhook: the client's base URI is the whole (secret) webhook URL. */
@Consumes(MediaType.APPLICATION_JSON)
public interface MattermostWebhook extends AutoCloseable {

    @POST
    Response post(Body body);

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Body(String text, String username, List<Map<String, Object>> attachments,
            @JsonProperty("props") Map<String, Object> props) {

        static Body of(Message message, String username, String eventId) {
            return new Body(message.headline(), username, message.attachments().isEmpty() ? null
                    : message.attachments(), Map.of("gitops_relay_event", eventId));
        }
    }

    @Override
    void close();
}
