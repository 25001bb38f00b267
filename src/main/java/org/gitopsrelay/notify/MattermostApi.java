package org.gitopsrelay.notify;

import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** The two calls of Mattermost's REST API (v4) the notifier makes, as a bot account. */
@Path("/api/v4/posts")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public interface MattermostApi extends AutoCloseable {

    @POST
    Response createPost(@HeaderParam("Authorization") String authorization, Post post);

    @PUT
    @Path("/{id}/patch")
    Response patchPost(@HeaderParam("Authorization") String authorization, @PathParam("id") String postId,
            Patch patch);

    /** {@code root_id} makes the post a reply in that thread. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Post(@JsonProperty("channel_id") String channelId, String message, @JsonProperty("root_id") String rootId,
            Map<String, Object> props) {
    }

    record Patch(String message, Map<String, Object> props) {
    }

    /** A message attachment carries the card, in the outcome's colour. */
    static Map<String, Object> props(Message message, String eventId) {
        return message.attachments().isEmpty() ? Map.of("gitops_relay_event", eventId)
                : Map.of("gitops_relay_event", eventId, "attachments", message.attachments());
    }

    @Override
    void close();
}
