package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.FilterInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

// Over 300 lines because the bucket's key layout, the client's settings, the durable and idempotent write, the
// streamed read, the sweep's listing and the translation of SDK failures belong together: each rests on the others.

/*
 * Keys (all under router.storage.s3.prefix, "" or ending in "/"):
 *
 *   <prefix>images/<sha256>.<ext>          image bytes, Content-Type image/<ext>, Cache-Control
 *                                          "public, max-age=31536000, immutable" (a CDN on the bucket
 *                                          serves them as the router does)
 *   <prefix>records/<requestHash>.json     one GenerationRecord per request hash, application/json
 *   <prefix>probe/<32 hex>                 this process's writability probe (rewritten every probe)
 *
 * No fan-out directory as on disk: S3 partitions a bucket's key space by itself, and uniformly
 * random names (hashes) are what it partitions best. A flat images/ keeps the mapping from the image
 * URL's path (/v1/images/files/<sha256>.<ext>) to its key a plain prefix swap for a CDN.
 *
 * Durability: a PutObject that answered 200 is durable and readable by every reader (S3 is strongly
 * consistent since December 2020; S3-compatible servers answer after their own write), so an image's
 * URL is handed out only after its PUT returned. Writing an image is one conditional PUT
 * (If-None-Match: *): S3 answers 412 when the key exists (and with Expect: 100-continue the body
 * is not even sent), so writing the same image twice costs one round trip and no second version in
 * a versioned bucket; a server that ignores the condition (S3Proxy) overwrites the same bytes, still
 * correct; one that refuses it (501) gets plain PUTs from then on. Measured against HEAD-then-PUT in
 * bench/RESULTS.md ("Images in an S3-compatible store"): a new image, almost every write, saves
 * the HEAD's round trip.
 *
 * The cache-hit path (ImageStore.hasImages) does no I/O here: an entry of the result cache exists only
 * after its images' PUTs returned or (read back from a record) after a HEAD found each of them, images
 * are immutable and the router never deletes one, so they are taken as present. What tells it
 * otherwise is a read that finds an image gone (someone deleted it from the bucket): that key is
 * remembered in a bounded set (MISSING_BOUND, cleared when full) until it is written again, and
 * holdsImage answers false for it, so the cache drops the entry and the request generates anew,
 * as a deleted file does on disk. A HEAD per hit (a network round trip, 1-30 ms) would cost far more
 * than the hit itself (tens of microseconds).
 *
 * Checksums: the SDK's default CRC32 trailer ("flexible checksums", on by default since 2.30) is
 * turned off (WHEN_REQUIRED): S3Proxy and other S3-compatible servers refuse its aws-chunked
 * trailer. Integrity comes from TLS on an https endpoint and, on an http one, from SigV4's signed
 * payload chunks, which the server checks.
 *
 * Failures: every SdkException becomes an S3StoreException (an IOException) whose message names
 * the operation and S3's status and error code, or the network failure: never a credential (the
 * SDK signs with the secret and never sends or prints it). A missing object is not a failure.
 */
/**
 * The store in an S3-compatible bucket ({@code router.storage.s3.*}) through the AWS SDK v2, with the
 * SDK's default credentials chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, a profile,
 * a role). Thread-safe; blocking network I/O on the caller's thread (a storage-io worker).
 */
final class S3Backend implements StoreBackend {

    /** The images' {@code Cache-Control}, as {@code FilesController} answers (RFC 8246 {@code immutable}). */
    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
    /** How long a TCP connect to the endpoint may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** The longest silence while reading or writing on a connection. */
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(15);
    /** A whole call, the SDK's retries included (standard mode: 3 attempts), except a streamed image's body. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    /** The longest wait for a free pooled connection when all {@code max-connections} are busy. */
    static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(5);
    /** Keys remembered as missing (read back as gone); cleared when full: see the header. */
    static final int MISSING_BOUND = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);

    private final StorageSettings.S3 settings;
    private final DefaultCredentialsProvider credentials;
    private final S3Client s3;
    private final String probeKey;
    private final Set<String> missing = ConcurrentHashMap.newKeySet();
    private volatile boolean conditionalPuts = true;

    S3Backend(StorageSettings.S3 settings) {
        this.settings = settings;
        this.credentials = DefaultCredentialsProvider.builder().build();
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .credentialsProvider(credentials)
                .httpClientBuilder(Apache5HttpClient.builder()
                        .maxConnections(settings.maxConnections())
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT)
                        .connectionAcquisitionTimeout(ACQUIRE_TIMEOUT))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (!settings.endpoint().isEmpty()) {
            builder.endpointOverride(URI.create(settings.endpoint()));
        }
        this.s3 = builder.build();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.probeKey = settings.prefix() + "probe/" + HexFormat.of().toHexDigits(random.nextLong())
                + HexFormat.of().toHexDigits(random.nextLong());
    }

    String imageKey(String sha256, String extension) {
        return settings.prefix() + "images/" + sha256 + "." + extension;
    }

    String recordKey(String requestHash) {
        return settings.prefix() + "records/" + requestHash + ".json";
    }

    @Override
    public boolean putImage(String sha256, String extension, String contentType, byte[] bytes) throws IOException {
        String key = imageKey(sha256, extension);
        boolean existed;
        try {
            existed = put(key, contentType, bytes, true);
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
        missing.remove(key);
        return existed;
    }

    /** @return true when the key existed (412 to the conditional PUT), so nothing was written */
    private boolean put(String key, String contentType, byte[] bytes, boolean image) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(settings.bucket()).key(key)
                .contentType(contentType).contentLength((long) bytes.length)
                .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT));
        if (image) {
            request.cacheControl(CACHE_CONTROL);
        }
        boolean conditional = image && conditionalPuts;
        if (conditional) {
            request.ifNoneMatch("*");
        }
        // the SDK reads the array as it is, without a copy (the caller does not change it)
        RequestBody body = RequestBody.fromContentProvider(ContentStreamProvider.fromByteArrayUnsafe(bytes), bytes.length,
                contentType);
        try {
            s3.putObject(request.build(), body);
            return false;
        } catch (AwsServiceException e) {
            if (!conditional) {
                throw e;
            }
            if (e.statusCode() == 412) {
                return true; // the key exists: content-addressed, so those are these bytes
            }
            if (e.statusCode() == 409) {
                // ConditionalRequestConflict: another writer's conditional PUT of this key is under way;
                // the same bytes are written again without the condition
                s3.putObject(request.ifNoneMatch(null).build(), body);
                return false;
            }
            if (e.statusCode() == 501) {
                conditionalPuts = false;
                LOG.info("image store {}: the server does not implement conditional writes (If-None-Match); images are"
                        + " written with plain PUTs (a repeated image is uploaded again)", describe());
                s3.putObject(request.ifNoneMatch(null).build(), body);
                return false;
            }
            throw e;
        }
    }

    @Override
    public OptionalLong imageSize(String sha256, String extension) throws IOException {
        String key = imageKey(sha256, extension);
        try {
            long size = s3.headObject(HeadObjectRequest.builder().bucket(settings.bucket()).key(key)
                    .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT)).build()).contentLength();
            missing.remove(key);
            return OptionalLong.of(size);
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404) { // a HEAD answer has no body: a missing bucket reads the same (the probe names it)
                rememberMissing(key);
                return OptionalLong.empty();
            }
            throw failure("HEAD", key, e);
        } catch (SdkException e) {
            throw failure("HEAD", key, e);
        }
    }

    @Override
    public Optional<ImageContent> openImage(String sha256, String extension) throws IOException {
        String key = imageKey(sha256, extension);
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(GetObjectRequest.builder().bucket(settings.bucket()).key(key).build());
        } catch (AwsServiceException e) {
            if (isNoSuchKey(e)) {
                rememberMissing(key);
                return Optional.empty();
            }
            throw failure("GET", key, e);
        } catch (SdkException e) {
            throw failure("GET", key, e);
        }
        missing.remove(key);
        long size = in.response().contentLength();
        return Optional.of(new ImageContent(size, new AbortUnlessRead(in, size)));
    }

    /** No request: see the header. Nothing known missing (the usual case) answers without building the key. */
    @Override
    public boolean holdsImage(String sha256, String extension) {
        return missing.isEmpty() || !missing.contains(imageKey(sha256, extension));
    }

    private void rememberMissing(String key) {
        if (missing.size() >= MISSING_BOUND) {
            missing.clear();
        }
        missing.add(key);
    }

    @Override
    public void putRecord(String requestHash, byte[] json) throws IOException {
        String key = recordKey(requestHash);
        try {
            put(key, "application/json", json, false);
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
    }

    @Override
    public Optional<byte[]> readRecord(String requestHash) throws IOException {
        String key = recordKey(requestHash);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(GetObjectRequest.builder().bucket(settings.bucket())
                .key(key).overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT)).build())) {
            return Optional.of(in.readAllBytes());
        } catch (AwsServiceException e) {
            if (isNoSuchKey(e)) {
                return Optional.empty();
            }
            throw failure("GET", key, e);
        } catch (SdkException e) {
            throw failure("GET", key, e);
        } catch (S3StoreException e) {
            throw e;
        } catch (IOException e) {
            // the body broke off after the headers (a reset, a stalled bucket): the bucket failed, not
            // the record; unreadable-record handling would count it a miss and pay a provider again
            throw new S3StoreException("GET " + key, "the response body broke off: " + e.getMessage(), e);
        }
    }

    @Override
    public String recordLocation(String requestHash) {
        return "s3://" + settings.bucket() + "/" + recordKey(requestHash);
    }

    /** One PUT of one byte to this process's probe key: what an image write needs (bucket, credentials, network). */
    @Override
    public void probe() throws IOException {
        try {
            put(probeKey, "application/octet-stream", new byte[]{'p'}, false);
        } catch (SdkException e) {
            throw failure("PUT", probeKey, e);
        }
    }

    /*
     * Records past the TTL are listed and deleted here rather than left to a bucket lifecycle rule:
     * a lifecycle rule counts whole days (router.cache.ttl is 24 h by default but may be an hour),
     * S3-compatible servers (S3Proxy, older MinIO and Ceph) lack or differ in lifecycle support, and
     * the router then needs no bucket-administration permission. The price is one LIST per 1,000
     * records per sweep (hourly) and replica, and one DELETE (free on S3) per expired record. A
     * lifecycle rule expiring <prefix>records/ after ceil(ttl)+1 days may be added as a backstop.
     */
    @Override
    public StoreSweeper.Result sweep(Instant recordsBefore, Instant tempBefore) {
        int records = deleteListed(settings.prefix() + "records/", o -> o.key().endsWith(".json")
                && o.lastModified() != null && o.lastModified().isBefore(recordsBefore));
        int temp = deleteListed(settings.prefix() + "probe/", o -> !o.key().equals(probeKey)
                && o.lastModified() != null && o.lastModified().isBefore(tempBefore));
        return new StoreSweeper.Result(records, temp);
    }

    /**
     * Lists every key under {@code prefix} and deletes those {@code expired} accepts, one DeleteObject
     * each; never throws. Not DeleteObjects (1,000 keys a call): it requires a checksum header that
     * S3-compatible servers refuse (S3Proxy 2.6 answers 501 to the SDK's x-amz-checksum-crc32) or lack
     * (Google Cloud Storage's XML API), and single deletes cost nothing on S3 (DELETE is free).
     */
    private int deleteListed(String prefix, Predicate<S3Object> expired) {
        int deleted = 0;
        try {
            for (S3Object object : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(settings.bucket())
                    .prefix(prefix).build()).contents()) {
                if (expired.test(object)) {
                    try {
                        s3.deleteObject(DeleteObjectRequest.builder().bucket(settings.bucket()).key(object.key())
                                .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT)).build());
                        deleted++;
                    } catch (AwsServiceException e) {
                        LOG.warn("store sweep could not delete s3://{}/{}: {}", settings.bucket(), object.key(),
                                failure("DELETE", object.key(), e).reason());
                    }
                }
            }
        } catch (SdkException e) {
            LOG.warn("store sweep cannot list or delete under s3://{}/{}: {}", settings.bucket(), prefix,
                    failure("LIST", prefix, e).reason());
        }
        return deleted;
    }

    @Override
    public String describe() {
        return settings.describe();
    }

    @Override
    public void close() {
        s3.close();
        credentials.close();
    }

    private static boolean isNoSuchKey(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return e.statusCode() == 404 && (code == null || code.equals("NoSuchKey"));
    }

    /** The SDK's failure as an {@link IOException} whose message carries no credential (see the header). */
    static S3StoreException failure(String operation, String key, SdkException e) {
        String reason;
        if (e instanceof AwsServiceException service) {
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            reason = "S3 answered " + service.statusCode() + (code == null || code.isBlank() ? "" : " " + code);
        } else {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String message = root == e ? e.getMessage() : root.getClass().getSimpleName() + ": " + root.getMessage();
            reason = "S3 unreachable or refused by the client: " + firstSentence(message);
        }
        return new S3StoreException(operation + " " + key, reason, e);
    }

    /** Up to the first ". " and at most 300 characters: the SDK's credential-chain message lists every provider. */
    private static String firstSentence(String message) {
        if (message == null) {
            return "(no message)";
        }
        int end = message.indexOf(". ");
        String first = end < 0 ? message : message.substring(0, end + 1);
        return first.length() <= 300 ? first : first.substring(0, 300) + "...";
    }

    /**
     * The bucket could not be used: the operation and object, and the reason (S3's status and error
     * code, or the network failure). Never carries a credential.
     */
    static final class S3StoreException extends IOException {
        private final String reason;

        S3StoreException(String what, String reason, Throwable cause) {
            super(what + ": " + reason, cause);
            this.reason = reason;
        }

        /** S3's status and error code, or the network failure, without the object's key. */
        String reason() {
            return reason;
        }
    }

    /**
     * Aborts the HTTP connection when the stream is closed before its end (a client that left a
     * download): reading the rest of an image only to reuse the connection costs more than a new one.
     */
    private static final class AbortUnlessRead extends FilterInputStream {
        private final ResponseInputStream<?> response;
        private final long size;
        private long read;

        AbortUnlessRead(ResponseInputStream<?> response, long size) {
            super(response);
            this.response = response;
            this.size = size;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                read++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                read += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            read += Math.max(0, skipped);
            return skipped;
        }

        @Override
        public void close() throws IOException {
            if (read < size) {
                response.abort();
            }
            super.close();
        }
    }
}
