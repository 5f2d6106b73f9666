/* libFuzzer target for sip/sdp: parsing a peer's SDP and writing the
 * mirrored answer to it (every m-line of hostile input is echoed). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_sdp sdp;
	struct sip_sdp_local l;
	const char *why;
	char out[4096];
	int a, i;

	if (sip_sdp_parse((const char *)data, size, &sdp, &why) < 0)
		return 0;
	memset(&l, 0, sizeof(l));
	strcpy(l.addr, "127.0.0.1");
	a = sip_sdp_find(&sdp, SIP_SDP_AUDIO);
	i = sip_sdp_find(&sdp, SIP_SDP_IMAGE);
	l.audio_port = a >= 0 ? 4000 : 0;
	l.audio_pt = a >= 0 ? sip_sdp_pick_pt(&sdp.m[a], SIP_SDP_PT_PCMU) : 0;
	l.audio_pt2 = -1;
	l.image_port = i >= 0 ? 4002 : 0;
	sip_t38_params_local(&l.t38);
	if (i >= 0)
		sip_t38_negotiate(&l.t38, &sdp.m[i].t38p, &l.t38);
	sip_sdp_write_answer(out, sizeof(out), &l, &sdp);
	return 0;
}
