# shellcheck shell=bash
# shellcheck disable=SC2034 # TAG_KEY, ACCOUNT, AWS are used by the scripts that source this
# Shared by the deploy scripts: settings, messages, the aws wrapper and the stack's state. Sourced.
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAG_KEY=alb-static-site:stack PREVIEW_TAG=alb-static-site:preview-of
mapfile -t SETTINGS < <(sed -nE 's/^([A-Z][A-Z0-9_]*)=.*/\1/p' "$DEPLOY_DIR/settings.env")
STEP=0 STEPS=1 STEP_NAME="checking settings"

step() { STEP=$((STEP + 1)) STEP_NAME=$1; printf '[%d/%d] %s\n' "$STEP" "$STEPS" "$1"; }
info() { printf '      %s\n' "$*"; }
warn() { printf '      warning: %s\n' "$*" >&2; }
die() { # die "what is wrong" ["what to do"]
  printf '\nerror in step [%d/%d] %s:\n  %s\n' "$STEP" "$STEPS" "$STEP_NAME" "$1" >&2
  [[ -z ${2:-} ]] || printf '  what to do: %s\n' "$2" >&2
  exit 1
}

# Settings: NAME=value arguments and the environment win over DEPLOY_ENV_FILE, which wins over
# settings.env's defaults.
load_settings() {
  local a v
  local -A given=()
  for a in "$@"; do
    [[ $a =~ ^[A-Z_][A-Z0-9_]*= ]] || die "unexpected argument '$a'." "pass settings as NAME=value (deploy/settings.env)"
    export "${a?}"
  done
  for v in "${SETTINGS[@]}"; do [[ -v $v ]] && given[$v]=${!v}; done
  if [[ -n ${DEPLOY_ENV_FILE:-} ]]; then
    [[ -f $DEPLOY_ENV_FILE ]] || die "DEPLOY_ENV_FILE=$DEPLOY_ENV_FILE does not exist." "point it at a file of NAME=value lines"
    # shellcheck source=/dev/null
    source "$DEPLOY_ENV_FILE"
    for v in "${!given[@]}"; do printf -v "$v" '%s' "${given[$v]}"; done
  fi
  # shellcheck source=deploy/settings.env
  source "$DEPLOY_DIR/settings.env"
  [[ $STACK_NAME =~ ^[A-Za-z][A-Za-z0-9-]{0,40}$ ]] || die "STACK_NAME='$STACK_NAME' is not a usable stack name." "a letter, then up to 40 letters, digits and hyphens"
  [[ $FUNCTION_NAME =~ ^[A-Za-z0-9_-]{1,50}$ ]] || die "FUNCTION_NAME='$FUNCTION_NAME' is not a usable function name." "up to 50 letters, digits, - and _"
  PRODUCTION_STACK=$STACK_NAME
  [[ -n $PREVIEW ]] || return 0
  # A preview is a stack of its own, with a function and alias of its own, named after production's.
  [[ $PREVIEW =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || die "PREVIEW='$PREVIEW' is not a DNS label: the preview answers at PREVIEW.PREVIEW_DOMAIN." \
    "use 1 to 63 lowercase letters, digits and inner hyphens (e.g. pr-42)"
  STACK_NAME=$STACK_NAME-preview-$PREVIEW FUNCTION_NAME=$FUNCTION_NAME-preview-$PREVIEW ALIAS_NAME=preview-$PREVIEW
  ((${#FUNCTION_NAME} <= 50)) || die "PREVIEW='$PREVIEW' makes the function name $FUNCTION_NAME, over 50 characters." "use a shorter preview name"
}

one_of() { # one_of NAME ALLOWED...
  local n=$1
  shift
  [[ " $* " == *" ${!n} "* ]] || die "$n='${!n}' must be one of: $*." "set $n (deploy/settings.env)"
}
in_range() { # in_range NAME MIN MAX
  if [[ ${!1} =~ ^[0-9]+$ ]] && ((10#${!1} >= $2 && 10#${!1} <= $3)); then return 0; fi
  die "$1='${!1}' is not a whole number from $2 to $3." "set $1 (deploy/settings.env)"
}
need() { # need TOOL... : what the scripts call, checked before anything else
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || die "$t is not installed, and the deploy scripts need it." "install it (Debian/Ubuntu: apt-get install ${t/sha256sum/coreutils}), then run again"
  done
}

# The AWS CLI v2 (Debian's awscli 2.9 reads no AWS_ENDPOINT_URL: it is passed explicitly).
setup_aws() {
  need aws jq
  [[ $(aws --version 2>&1) == aws-cli/2.* ]] || die "the AWS CLI is not version 2 ($(aws --version 2>&1 | cut -d' ' -f1))." \
    "install the AWS CLI v2 (Debian/Ubuntu: apt-get install awscli; or AWS's installer), then run again"
  AWS=(aws --region "$AWS_REGION" --output text)
  [[ -z $AWS_PROFILE ]] || AWS+=(--profile "$AWS_PROFILE")
  [[ -z ${AWS_ENDPOINT_URL:-} ]] || AWS+=(--endpoint-url "$AWS_ENDPOINT_URL")
  export AWS_PAGER=""
  AWS_ERR=$(mktemp)
  trap 'rm -f "$AWS_ERR"' EXIT
}
aws_try() { "${AWS[@]}" "$@" 2>"$AWS_ERR"; } # fails quietly; the error is in $AWS_ERR
aws_do() { # fails loudly, naming the call
  aws_try "$@" && return 0
  die "aws $1 $2 failed: $(tail -n 3 "$AWS_ERR")" "$(hint)"
}
hint() {
  case $(cat "$AWS_ERR") in
    *credentials* | *ExpiredToken* | *InvalidClientTokenId* | *SignatureDoesNotMatch*) echo "set up credentials: aws configure (or AWS_PROFILE=...), then run again" ;;
    *AccessDenied* | *UnauthorizedOperation* | *"not authorized"*) echo "this identity lacks a permission (named above); use one that has it" ;;
    *) echo "fix what the message says, then run again; a failed stack update rolls itself back" ;;
  esac
}
check_credentials() {
  ACCOUNT=$("${AWS[@]}" sts get-caller-identity --query Account 2>"$AWS_ERR") ||
    die "no usable AWS credentials: $(tail -n 2 "$AWS_ERR")" "set up credentials: aws configure (or AWS_PROFILE=...), then run again"
}
# One describe-stacks: STACK_JSON (the stack, or null) and STATUS (NONE when there is none).
read_stack() {
  if STACK_JSON=$(aws_try cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0]' --output json); then
    STATUS=$(jq -r .StackStatus <<<"$STACK_JSON")
  else
    grep -q 'does not exist' "$AWS_ERR" || aws_do cloudformation describe-stacks --stack-name "$STACK_NAME"
    STACK_JSON=null STATUS=NONE
  fi
}
stack_output() { jq -r --arg k "$1" '[.Outputs[]? | select(.OutputKey == $k) | .OutputValue][0] // empty' <<<"$STACK_JSON"; }
stack_resource() { # stack_resource LOGICAL_ID -> physical id, or nothing
  local v
  v=$(aws_try cloudformation describe-stack-resources --stack-name "$STACK_NAME" --logical-resource-id "$1" \
    --query 'StackResources[0].PhysicalResourceId') || return 0
  [[ $v == None ]] || printf '%s' "$v"
}
site_url() { # where to open the site: the first output of these the variant has
  jq -r '(.Outputs // []) | map({(.OutputKey): .OutputValue}) | add // {} | .PreviewUrl // .CloudFrontUrl // .DomainUrl // .AlbUrl // .FunctionUrl
    // "(a rule of the listener LISTENER_ARN: its load balancer'"'"'s address)"' <<<"$STACK_JSON"
}
previews() { # production's previews, a line each: name status address
  aws_do cloudformation describe-stacks --output json | jq -r --arg p "$PRODUCTION_STACK" --arg k "$PREVIEW_TAG" '.Stacks[]
    | select(.StackStatus != "DELETE_COMPLETE" and any(.Tags[]?; .Key == $k and .Value == $p))
    | "\(.StackName | ltrimstr($p + "-preview-")) \(.StackStatus) \([.Outputs[]? | select(.OutputKey == "PreviewUrl") | .OutputValue][0] // "-")"'
}
