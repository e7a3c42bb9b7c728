# The leasetop container image: static and non-root, nothing in it but the
# binary and CA certificates (for TLS to Vault). GoReleaser builds it from
# the release's linux binaries (see dockers in .goreleaser.yaml): the build
# context is a directory holding only the binary `leasetop`.
#
# By hand, for this machine's architecture:
#   CGO_ENABLED=0 go build -trimpath -o leasetop . && docker build -t leasetop .
# (.dockerignore keeps everything but that binary out of the context.)
#
# Run: the image serves lease metrics for Prometheus (leasetop serve, on
# port 19155) unless given other arguments; Vault's address and a token
# come from the environment, e.g.
#   docker run --rm -p 19155:19155 -e VAULT_ADDR -e VAULT_TOKEN leasetop
# The terminal UI needs a terminal (-it) and a prefix or the entrypoint:
#   docker run --rm -it -e VAULT_ADDR -e VAULT_TOKEN --entrypoint /leasetop leasetop
# A config file (contexts) can be mounted at
# /home/nonroot/.config/leasetop/config.yaml, or named by LEASETOP_CONFIG.

# Only the CA bundle is taken from this stage; nothing is run in it.
FROM alpine:3.22 AS certs

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY leasetop /leasetop
# 65532 is the conventional "nonroot" user of static images; there is no
# shell and no package manager in the image.
USER 65532:65532
ENV HOME=/home/nonroot
EXPOSE 19155
ENTRYPOINT ["/leasetop"]
CMD ["serve"]
