package org.gitopsrelay.tracing;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

/**
 * What the relay traces. Every span is recorded, whatever a webhook's sender said about its own trace (an unsampled
 * {@code traceparent} must not silence the relay's work); but an outgoing call to an incoming webhook is not: its
 * URL path is the webhook's secret, and the HTTP client's span would carry it in {@code url.full} to the collector.
 * Quarkus uses a {@code Sampler} bean in place of the configured one.
 */
@ApplicationScoped
public class RelaySampler implements Sampler {

    private static final List<AttributeKey<String>> URLS = List.of(AttributeKey.stringKey("url.full"),
            AttributeKey.stringKey("http.url"));

    @Override
    public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
            Attributes attributes, List<LinkData> links) {
        if (kind == SpanKind.CLIENT && carriesWebhookSecret(attributes)) {
            return SamplingResult.drop();
        }
        return SamplingResult.recordAndSample();
    }

    static boolean carriesWebhookSecret(Attributes attributes) {
        for (AttributeKey<String> key : URLS) {
            String url = attributes.get(key);
            if (url != null && url.contains("/hooks/")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String getDescription() {
        return "RelaySampler{always on, webhook calls dropped}";
    }
}
