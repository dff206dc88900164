#!/usr/bin/env bash
# Deploys one MenoTime environment to AWS (us-west-1):
#   1. publish      the CloudFormation templates, into cdk.out/<environment> (or --output)
#   2. shared       the account-wide stack MenoTime-shared: ECR repositories, GuardDuty, CloudTrail, AWS Config,
#                   SES identity (idempotent; the first deployment creates it)
#   3. images       api, worker and migrations built and pushed by the .NET SDK (no Docker), tagged with the
#                   commit and "latest"
#   4. environment  the stack MenoTime-<environment> with ImageTag=<commit>: ECS rolls the services, each new
#                   task runs the migrations first (they must exit 0 before the service starts)
#   5. wait         until both services are stable
#
# Usage: deploy/deploy.sh dev|staging|prod [--dry-run] [--output DIR]
#   --dry-run  runs step 1 only and prints every other command instead of running it (no AWS access needed).
# Needs, except for --dry-run: the AWS CLI v2 with credentials of the account (AWS_PROFILE or the environment),
#   MENOTIME_TEMPLATE_BUCKET             an S3 bucket for the templates (they exceed CloudFormation's 51,200-byte
#                                        inline limit)
#   MENOTIME_HOSTED_ZONE_ID              the Route 53 hosted zone of menotime.ai
#   MENOTIME_CLOUDFRONT_CERTIFICATE_ARN  the ACM certificate of the environment's domain in us-east-1 (CloudFront)
# MENOTIME_APPHOST may name a built MenoTime.AppHost.dll to publish with (default: dotnet run --project).
set -euo pipefail
cd "$(dirname "$0")/.."

environment="${1:-}"
shift || true
dry_run=false
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=true ;;
    --output) output="$2"; shift ;;
    *) echo "deploy: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$environment" in
  dev|staging|prod) ;;
  *) echo "usage: deploy/deploy.sh dev|staging|prod [--dry-run] [--output DIR]" >&2; exit 2 ;;
esac

region=us-west-1
output="${output:-cdk.out/$environment}"
tag="$(git rev-parse --short=12 HEAD 2>/dev/null || echo latest)"

# Prints the command in dry-run mode, runs it otherwise.
run() {
  if $dry_run; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

# A setting the real deployment needs; a placeholder in a dry run.
setting() {
  local value="${!1:-}"
  if [ -z "$value" ]; then
    if $dry_run; then value="<$1>"; else echo "deploy: $1 is not set (see the top of deploy/deploy.sh)" >&2; exit 2; fi
  fi
  printf '%s' "$value"
}

echo "== 1. publish $environment"
if [ -n "${MENOTIME_APPHOST:-}" ]; then
  dotnet "$MENOTIME_APPHOST" publish --environment "$environment" --output "$output"
else
  dotnet run --project MenoTime.AppHost -- publish --environment "$environment" --output "$output"
fi

bucket="$(setting MENOTIME_TEMPLATE_BUCKET)"
zone="$(setting MENOTIME_HOSTED_ZONE_ID)"
certificate="$(setting MENOTIME_CLOUDFRONT_CERTIFICATE_ARN)"
if $dry_run; then account="<account>"; else account="$(aws sts get-caller-identity --query Account --output text)"; fi
registry="$account.dkr.ecr.$region.amazonaws.com"

echo "== 2. shared stack"
run aws cloudformation deploy --region "$region" --stack-name MenoTime-shared \
  --template-file "$output/MenoTime-shared.template.json" --s3-bucket "$bucket" \
  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset

echo "== 3. images $registry/menotime/{api,worker,migrations}:$tag"
if ! $dry_run; then
  # The SDK's container publishing reads registry credentials from these variables.
  export DOTNET_CONTAINER_REGISTRY_UNAME=AWS
  DOTNET_CONTAINER_REGISTRY_PWORD="$(aws ecr get-login-password --region "$region")"
  export DOTNET_CONTAINER_REGISTRY_PWORD
fi
for project in MenoTime.Api MenoTime.Worker MenoTime.MigrationService; do
  run dotnet publish "$project" -c Release -t:PublishContainer \
    -p:ContainerRegistry="$registry" "-p:ContainerImageTags=\"$tag;latest\""
done

echo "== 4. environment stack MenoTime-$environment (ImageTag=$tag)"
run aws cloudformation deploy --region "$region" --stack-name "MenoTime-$environment" \
  --template-file "$output/MenoTime-$environment.template.json" --s3-bucket "$bucket" \
  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
  --parameter-overrides "ImageTag=$tag" "HostedZoneId=$zone" "CloudFrontCertificateArn=$certificate"

echo "== 5. wait for the services"
run aws ecs wait services-stable --region "$region" --cluster "menotime-$environment-cluster" \
  --services "menotime-$environment-api" "menotime-$environment-worker"

if ! $dry_run && [ "$(aws secretsmanager get-secret-value --region "$region" --secret-id menotime/email/ses-smtp --query SecretString --output text | grep -c set-by-deploy)" != 0 ]; then
  echo "deploy: the SES SMTP credentials in menotime/email/ses-smtp are still placeholders: see README.md, 'Deploy'." >&2
fi
# A new account's SES is in the sandbox: it delivers only to verified addresses, so reminders to patients are refused
# (554), retried and dead-lettered. Production access is requested once per account and region, by a person.
if ! $dry_run && [ "$(aws sesv2 get-account --region "$region" --query ProductionAccessEnabled --output text)" != True ]; then
  echo "deploy: SES in $region is still in the sandbox: only verified addresses get email. See README.md, 'Deploy'." >&2
fi
echo "deployed $environment at $tag"
