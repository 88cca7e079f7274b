package gcmsiv

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

// rfcVector is one test vector of RFC 8452 Appendix C, with the
// intermediate values the RFC prints. Every field is hex. result is the
// RFC's "Result": the ciphertext followed by the tag.
type rfcVector struct {
	section    string // "C.1", "C.2" or "C.3"
	plaintext  string
	aad        string
	key        string
	nonce      string
	authKey    string // "Record authentication key"
	encKey     string // "Record encryption key"
	polyval    string // "POLYVAL result"
	tag        string
	initialCtr string // "Initial counter"
	result     string
}

// Values that recur in the RFC's vectors.
const (
	rfcKey128    = "01000000000000000000000000000000"
	rfcKey256    = "0100000000000000000000000000000000000000000000000000000000000000"
	rfcNonce     = "030000000000000000000000"
	rfcAuth128   = "d9b360279694941ac5dbc6987ada7377"
	rfcEnc128    = "4004a0dcd862f2a57360219d2d44ef6c"
	rfcAuth256   = "b5d3c529dfafac43136d2d11be284d7f"
	rfcEnc256    = "b914f4742be9e1d7a2f84addbf96dec3456e3c6c05ecc157cdbf0700fedad222"
	rfcZero16    = "00000000000000000000000000000000"
	rfcZero32    = rfcZero16 + rfcZero16
	rfcZeroNonce = "000000000000000000000000"
)

// rfcBlocks returns the hex of 16-byte blocks that each hold the value
// of one of bs in their first byte and zeros after it, as the RFC's
// plaintexts "01000000...", "02000000..." do.
func rfcBlocks(bs ...byte) string {
	var sb strings.Builder
	for _, b := range bs {
		sb.WriteString(hex.EncodeToString([]byte{b}))
		sb.WriteString(strings.Repeat("00", 15))
	}
	return sb.String()
}

// rfc8452Vectors are the test vectors of RFC 8452 Appendix C, transcribed
// from the RFC: all 24 of C.1 (AEAD_AES_128_GCM_SIV), all 24 of C.2
// (AEAD_AES_256_GCM_SIV) and both of C.3 (counter wrap, AES-256).
var rfc8452Vectors = []rfcVector{
	// RFC 8452 Appendix C.1, AEAD_AES_128_GCM_SIV.
	{"C.1", "", "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, rfcZero16,
		"dc20e2d83f25705bb49e439eca56de25", "dc20e2d83f25705bb49e439eca56dea5",
		"dc20e2d83f25705bb49e439eca56de25"},
	{"C.1", "0100000000000000", "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "eb93b7740962c5e49d2a90a7dc5cec74",
		"578782fff6013b815b287c22493a364c", "578782fff6013b815b287c22493a36cc",
		"b5d839330ac7b786578782fff6013b815b287c22493a364c"},
	{"C.1", "010000000000000000000000", "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "48eb6c6c5a2dbe4a1dde508fee06361b",
		"a4978db357391a0bc4fdec8b0d106639", "a4978db357391a0bc4fdec8b0d1066b9",
		"7323ea61d05932260047d942a4978db357391a0bc4fdec8b0d106639"},
	{"C.1", rfcBlocks(1), "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "20806c26e3c1de019e111255708031d6",
		"303aaf90f6fe21199c6068577437a0c4", "303aaf90f6fe21199c6068577437a0c4",
		"743f7c8077ab25f8624e2e948579cf77303aaf90f6fe21199c6068577437a0c4"},
	{"C.1", rfcBlocks(1, 2), "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "ce6edc9a50b36d9a98986bbf6a261c3b",
		"1a8e45dcd4578c667cd86847bf6155ff", "1a8e45dcd4578c667cd86847bf6155ff",
		"84e07e62ba83a6585417245d7ec413a9fe427d6315c09b57ce45f2e3936a9445" +
			"1a8e45dcd4578c667cd86847bf6155ff"},
	{"C.1", rfcBlocks(1, 2, 3), "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "81388746bc22d26b2abc3dcb15754222",
		"5e6e311dbf395d35b0fe39c2714388f8", "5e6e311dbf395d35b0fe39c2714388f8",
		"3fd24ce1f5a67b75bf2351f181a475c7b800a5b4d3dcf70106b1eea82fa1d64d" +
			"f42bf7226122fa92e17a40eeaac1201b5e6e311dbf395d35b0fe39c2714388f8"},
	{"C.1", rfcBlocks(1, 2, 3, 4), "", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "1e39b6d3344d348f6044f89935d1cf78",
		"8a263dd317aa88d56bdf3936dba75bb8", "8a263dd317aa88d56bdf3936dba75bb8",
		"2433668f1058190f6d43e360f4f35cd8e475127cfca7028ea8ab5c20f7ab2af0" +
			"2516a2bdcbc08d521be37ff28c152bba36697f25b4cd169c6590d1dd39566d3f" +
			"8a263dd317aa88d56bdf3936dba75bb8"},
	{"C.1", "0200000000000000", "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "b26781e7e2c1376f96bec195f3709b2a",
		"3b0a1a2560969cdf790d99759abd1508", "3b0a1a2560969cdf790d99759abd1588",
		"1e6daba35669f4273b0a1a2560969cdf790d99759abd1508"},
	{"C.1", "020000000000000000000000", "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "111f5affb18e4cc1164a01bdc12a4145",
		"08299c5102745aaa3a0c469fad9e075a", "08299c5102745aaa3a0c469fad9e07da",
		"296c7889fd99f41917f4462008299c5102745aaa3a0c469fad9e075a"},
	{"C.1", rfcBlocks(2), "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "79745ab508622c8a958543675fac4688",
		"8f8936ec039e4e4bb97ebd8c4457441f", "8f8936ec039e4e4bb97ebd8c4457449f",
		"e2b0c5da79a901c1745f700525cb335b8f8936ec039e4e4bb97ebd8c4457441f"},
	{"C.1", rfcBlocks(2, 3), "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "2ce7daaf7c89490822051255b12eca6b",
		"e6af6a7f87287da059a71684ed3498e1", "e6af6a7f87287da059a71684ed3498e1",
		"620048ef3c1e73e57e02bb8562c416a319e73e4caac8e96a1ecb2933145a1d71" +
			"e6af6a7f87287da059a71684ed3498e1"},
	{"C.1", rfcBlocks(2, 3, 4), "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "9ca987715d69c1786711dfcd22f830fc",
		"6a8cc3865f76897c2e4b245cf31c51f2", "6a8cc3865f76897c2e4b245cf31c51f2",
		"50c8303ea93925d64090d07bd109dfd9515a5a33431019c17d93465999a8b005" +
			"3201d723120a8562b838cdff25bf9d1e6a8cc3865f76897c2e4b245cf31c51f2"},
	{"C.1", rfcBlocks(2, 3, 4, 5), "01", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "ffcd05d5770f34ad9267f0a59994b15a",
		"cdc46ae475563de037001ef84ae21744", "cdc46ae475563de037001ef84ae217c4",
		"2f5c64059db55ee0fb847ed513003746aca4e61c711b5de2e7a77ffd02da42fe" +
			"ec601910d3467bb8b36ebbaebce5fba30d36c95f48a3e7980f0e7ac299332a80" +
			"cdc46ae475563de037001ef84ae21744"},
	{"C.1", "02000000", "010000000000000000000000", rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "f6ce9d3dcd68a2fd603c7ecc18fb9918",
		"07eb1f84fb28f8cb73de8e99e2f48a14", "07eb1f84fb28f8cb73de8e99e2f48a94",
		"a8fe3e8707eb1f84fb28f8cb73de8e99e2f48a14"},
	{"C.1", "0300000000000000000000000000000004000000", "010000000000000000000000000000000200",
		rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "4781d492cb8f926c504caa36f61008fe",
		"24afc9805e976f451e6d87f6fe106514", "24afc9805e976f451e6d87f6fe106594",
		"6bb0fecf5ded9b77f902c7d5da236a4391dd029724afc9805e976f451e6d87f6fe106514"},
	{"C.1", "030000000000000000000000000000000400", "0100000000000000000000000000000002000000",
		rfcKey128, rfcNonce, rfcAuth128, rfcEnc128, "75cbc23a1a10e348aeb8e384b5cc79fd",
		"bff9b2ef00fb47920cc72a0c0f13b9fd", "bff9b2ef00fb47920cc72a0c0f13b9fd",
		"44d0aaf6fb2f1f34add5e8064e83e12a2adabff9b2ef00fb47920cc72a0c0f13b9fd"},
	{"C.1", "", "", "e66021d5eb8e4f4066d4adb9c33560e4", "f46e44bb3da0015c94f70887",
		"036ee1fe2d7926af68898095e54e7b3c", "5e46482396008223b5c1d25173d87539", rfcZero16,
		"a4194b79071b01a87d65f706e3949578", "a4194b79071b01a87d65f706e39495f8",
		"a4194b79071b01a87d65f706e3949578"},
	{"C.1", "7a806c", "46bb91c3c5", "36864200e0eaf5284d884a0e77d31646", "bae8e37fc83441b16034566b",
		"3e28de1120b2981a0155795ca2812af6", "6d4b78b31a4c9c03d8db0f42f7507fae", "43d9a745511dcfa21b96dd606f1d5720",
		"711bd85bc1e4d3e0a462e074eea428a8", "711bd85bc1e4d3e0a462e074eea428a8",
		"af60eb711bd85bc1e4d3e0a462e074eea428a8"},
	{"C.1", "bdc66f146545", "fc880c94a95198874296", "aedb64a6c590bc84d1a5e269e4b47801", "afc0577e34699b9e671fdd4f",
		"43b8de9cea62330d15cccfc84a33e8c8", "8e54631607e431e095b54852868e3a27", "26498e0d2b1ef004e808c458e8f2f515",
		"d6a9c45545cfc11f03ad743dba20f966", "d6a9c45545cfc11f03ad743dba20f9e6",
		"bb93a3e34d3cd6a9c45545cfc11f03ad743dba20f966"},
	{"C.1", "1177441f195495860f", "046787f3ea22c127aaf195d1894728", "d5cc1fd161320b6920ce07787f86743b", "275d1ab32f6d1f0434d8848c",
		"8a51df64d93eaf667c2c09bd454ce5c5", "43ab276c2b4a473918ca73f2dd85109c", "63a3451c0b23345ad02bba59956517cf",
		"1d02fd0cd174c84fc5dae2f60f52fd2b", "1d02fd0cd174c84fc5dae2f60f52fdab",
		"4f37281f7ad12949d01d02fd0cd174c84fc5dae2f60f52fd2b"},
	{"C.1", "9f572c614b4745914474e7c7", "c9882e5386fd9f92ec489c8fde2be2cf97e74e93",
		"b3fed1473c528b8426a582995929a149", "9e9ad8780c8d63d0ab4149c0",
		"22f50707a95dd416df069d670cb775e8", "f674a5584ee21fe97b4cebc468ab61e4", "0cca0423fba9d77fe7e2e6963b08cdd0",
		"c1dc2f871fb7561da1286e655e24b7b0", "c1dc2f871fb7561da1286e655e24b7b0",
		"f54673c5ddf710c745641c8bc1dc2f871fb7561da1286e655e24b7b0"},
	{"C.1", "0d8c8451178082355c9e940fea2f58", "2950a70d5a1db2316fd568378da107b52b0da55210cc1c1b0a",
		"2d4ed87da44102952ef94b02b805249b", "ac80e6f61455bfac8308a2d4",
		"0b00a29a83e7e95b92e3a0783b29f140", "a430c27f285aed913005975c42eed5f3", "1086ef25247aa41009bbc40871d9b350",
		"83b3449b9f39552de99dc214a1190b0b", "83b3449b9f39552de99dc214a1190b8b",
		"c9ff545e07b88a015f05b274540aa183b3449b9f39552de99dc214a1190b0b"},
	{"C.1", "6b3db4da3d57aa94842b9803a96e07fb6de7", "1860f762ebfbd08284e421702de0de18baa9c9596291b08466f37de21c7f",
		"bde3b2f204d1e9f8b06bc47f9745b3d1", "ae06556fb6aa7890bebc18fe",
		"21c874a8bad3603d1c3e8784df5b3f9f", "d1c16d72651c3df504eae27129d818e8", "55462a5afa0da8d646481e049ef9c764",
		"3e377094f04709f64d7b985310a4db84", "3e377094f04709f64d7b985310a4db84",
		"6298b296e24e8cc35dce0bed484b7f30d5803e377094f04709f64d7b985310a4db84"},
	{"C.1", "e42a3c02c25b64869e146d7b233987bddfc240871d",
		"7576f7028ec6eb5ea7e298342a94d4b202b370ef9768ec6561c4fe6b7e7296fa859c21",
		"f901cfe8a69615a93fdf7a98cad48179", "6245709fb18853f68d833640",
		"3724f55f1d22ac0ab830da0b6a995d74", "75ac87b70c05db287de779006105a344", "4cbba090f03f7d1188ea55749fa6c7bd",
		"2d15506c84a9edd65e13e9d24a2a6e70", "2d15506c84a9edd65e13e9d24a2a6ef0",
		"391cc328d484a4f46406181bcd62efd9b3ee197d052d15506c84a9edd65e13e9d24a2a6e70"},

	// RFC 8452 Appendix C.2, AEAD_AES_256_GCM_SIV.
	{"C.2", "", "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, rfcZero16,
		"07f5f4169bbf55a8400cd47ea6fd400f", "07f5f4169bbf55a8400cd47ea6fd408f",
		"07f5f4169bbf55a8400cd47ea6fd400f"},
	{"C.2", "0100000000000000", "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "05230f62f0eac8aa14fe4d646b59cd41",
		"843122130f7364b761e0b97427e3df28", "843122130f7364b761e0b97427e3dfa8",
		"c2ef328e5c71c83b843122130f7364b761e0b97427e3df28"},
	{"C.2", "010000000000000000000000", "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "6d81a24732fd6d03ae5af544720a1c13",
		"8ca50da9ae6559e48fd10f6e5c9ca17e", "8ca50da9ae6559e48fd10f6e5c9ca1fe",
		"9aab2aeb3faa0a34aea8e2b18ca50da9ae6559e48fd10f6e5c9ca17e"},
	{"C.2", rfcBlocks(1), "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "74eee2bf7c9a165f8b25dea73db32a6d",
		"c9eac6fa700942702e90862383c6c366", "c9eac6fa700942702e90862383c6c3e6",
		"85a01b63025ba19b7fd3ddfc033b3e76c9eac6fa700942702e90862383c6c366"},
	{"C.2", rfcBlocks(1, 2), "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "899b6381b3d46f0def7aa0517ba188f5",
		"e819e63abcd020b006a976397632eb5d", "e819e63abcd020b006a976397632ebdd",
		"4a6a9db4c8c6549201b9edb53006cba821ec9cf850948a7c86c68ac7539d027f" +
			"e819e63abcd020b006a976397632eb5d"},
	{"C.2", rfcBlocks(1, 2, 3), "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "c1f8593d8fc29b0c290cae1992f71f51",
		"790bc96880a99ba804bd12c0e6a22cc4", "790bc96880a99ba804bd12c0e6a22cc4",
		"c00d121893a9fa603f48ccc1ca3c57ce7499245ea0046db16c53c7c66fe717e3" +
			"9cf6c748837b61f6ee3adcee17534ed5790bc96880a99ba804bd12c0e6a22cc4"},
	{"C.2", rfcBlocks(1, 2, 3, 4), "", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "6ef38b06046c7c0e225efaef8e2ec4c4",
		"112864c269fc0d9d88c61fa47e39aa08", "112864c269fc0d9d88c61fa47e39aa88",
		"c2d5160a1f8683834910acdafc41fbb1632d4a353e8b905ec9a5499ac34f96c7" +
			"e1049eb080883891a4db8caaa1f99dd004d80487540735234e3744512c6f90ce" +
			"112864c269fc0d9d88c61fa47e39aa08"},
	{"C.2", "0200000000000000", "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "34e57bafe011b9b36fc6821b7ffb3354",
		"91213f267e3b452f02d01ae33e4ec854", "91213f267e3b452f02d01ae33e4ec8d4",
		"1de22967237a813291213f267e3b452f02d01ae33e4ec854"},
	{"C.2", "020000000000000000000000", "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "5c47d68a22061c1ad5623a3b66a8e206",
		"c1a4a19ae800941ccdc57cc8413c277f", "c1a4a19ae800941ccdc57cc8413c27ff",
		"163d6f9cc1b346cd453a2e4cc1a4a19ae800941ccdc57cc8413c277f"},
	{"C.2", rfcBlocks(2), "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "452896726c616746f01d11d82911d478",
		"b292d28ff61189e8e49f3875ef91aff7", "b292d28ff61189e8e49f3875ef91aff7",
		"c91545823cc24f17dbb0e9e807d5ec17b292d28ff61189e8e49f3875ef91aff7"},
	{"C.2", rfcBlocks(2, 3), "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "4e58c1e341c9bb0ae34eda9509dfc90c",
		"aea1bad12702e1965604374aab96dbbc", "aea1bad12702e1965604374aab96dbbc",
		"07dad364bfc2b9da89116d7bef6daaaf6f255510aa654f920ac81b94e8bad365" +
			"aea1bad12702e1965604374aab96dbbc"},
	{"C.2", rfcBlocks(2, 3, 4), "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "2566a4aff9a525df9772c16d4eaf8d2a",
		"03332742b228c647173616cfd44c54eb", "03332742b228c647173616cfd44c54eb",
		"c67a1f0f567a5198aa1fcc8e3f21314336f7f51ca8b1af61feac35a86416fa47" +
			"fbca3b5f749cdf564527f2314f42fe2503332742b228c647173616cfd44c54eb"},
	{"C.2", rfcBlocks(2, 3, 4, 5), "01", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "da58d2f61b0a9d343b2f37fb0c519733",
		"5bde0285037c5de81e5b570a049b62a0", "5bde0285037c5de81e5b570a049b62a0",
		"67fd45e126bfb9a79930c43aad2d36967d3f0e4d217c1e551f59727870beefc9" +
			"8cb933a8fce9de887b1e40799988db1fc3f91880ed405b2dd298318858467c89" +
			"5bde0285037c5de81e5b570a049b62a0"},
	{"C.2", "02000000", "010000000000000000000000", rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "6dc76ae84b88916e073a303aafde05cf",
		"1835e517741dfddccfa07fa4661b74cf", "1835e517741dfddccfa07fa4661b74cf",
		"22b3f4cd1835e517741dfddccfa07fa4661b74cf"},
	{"C.2", "0300000000000000000000000000000004000000", "010000000000000000000000000000000200",
		rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "973ef4fd04bd31d193816ab26f8655ca",
		"b879ad976d8242acc188ab59cabfe307", "b879ad976d8242acc188ab59cabfe387",
		"43dd0163cdb48f9fe3212bf61b201976067f342bb879ad976d8242acc188ab59cabfe307"},
	{"C.2", "030000000000000000000000000000000400", "0100000000000000000000000000000002000000",
		rfcKey256, rfcNonce, rfcAuth256, rfcEnc256, "2cbb6b7ab2dbffefb797f825f826870c",
		"cfcdf5042112aa29685c912fc2056543", "cfcdf5042112aa29685c912fc20565c3",
		"462401724b5ce6588d5a54aae5375513a075cfcdf5042112aa29685c912fc2056543"},
	{"C.2", "", "", "e66021d5eb8e4f4066d4adb9c33560e4f46e44bb3da0015c94f7088736864200", "e0eaf5284d884a0e77d31646",
		"e40d26f82774aa27f47b047b608b9585", "7c7c3d9a542cef53dde0e6de9b5800400f82e73ec5f7ee41b7ba8dcb9ba078c3", rfcZero16,
		"169fbb2fbf389a995f6390af22228a62", "169fbb2fbf389a995f6390af22228ae2",
		"169fbb2fbf389a995f6390af22228a62"},
	{"C.2", "671fdd", "4fbdc66f14", "bae8e37fc83441b16034566b7a806c46bb91c3c5aedb64a6c590bc84d1a5e269", "e4b47801afc0577e34699b9e",
		"b546f5a850d0a90adfe39e95c2510fc6", "b9d1e239d62cbb5c49273ddac8838bdcc53bca478a770f07087caa4e0a924a55",
		"b91f91f96b159a7c611c05035b839e92",
		"93da9bb81333aee0c785b240d319719d", "93da9bb81333aee0c785b240d319719d",
		"0eaccb93da9bb81333aee0c785b240d319719d"},
	{"C.2", "195495860f04", "6787f3ea22c127aaf195", "6545fc880c94a95198874296d5cc1fd161320b6920ce07787f86743b275d1ab3",
		"2f6d1f0434d8848c1177441f",
		"e156e1f9b0b07b780cbe30f259e3c8da", "6fc1c494519f944aae52fcd8b14e5b171b5a9429d3b76e430d49940c0021d612",
		"2c480ed9d236b1df24c6eec109bd40c1",
		"6b62b84dc40c84636a5ec12020ec8c2c", "6b62b84dc40c84636a5ec12020ec8cac",
		"a254dad4f3f96b62b84dc40c84636a5ec12020ec8c2c"},
	{"C.2", "c9882e5386fd9f92ec", "489c8fde2be2cf97e74e932d4ed87d",
		"d1894728b3fed1473c528b8426a582995929a1499e9ad8780c8d63d0ab4149c0", "9f572c614b4745914474e7c7",
		"0533fd71f4119257361a3ff1469dd4e5", "4feba89799be8ac3684fa2bb30ade0ea51390e6d87dcf3627d2ee44493853abe",
		"bf160bc9ded8c63057d2c38aae552fb4",
		"c0fd3dc6628dfe55ebb0b9fb2295c8c2", "c0fd3dc6628dfe55ebb0b9fb2295c8c2",
		"0df9e308678244c44bc0fd3dc6628dfe55ebb0b9fb2295c8c2"},
	{"C.2", "1db2316fd568378da107b52b", "0da55210cc1c1b0abde3b2f204d1e9f8b06bc47f",
		"a44102952ef94b02b805249bac80e6f61455bfac8308a2d40d8c845117808235", "5c9e940fea2f582950a70d5a",
		"64779ab10ee8a280272f14cc8851b727", "25f40fc63f49d3b9016a8eeeb75846e0d72ca36ddbd312b6f5ef38ad14bd2651",
		"cc86ee22c861e1fd474c84676b42739c",
		"404099c2587f64979f21826706d497d5", "404099c2587f64979f21826706d497d5",
		"8dbeb9f7255bf5769dd56692404099c2587f64979f21826706d497d5"},
	{"C.2", "21702de0de18baa9c9596291b08466", "f37de21c7ff901cfe8a69615a93fdf7a98cad481796245709f",
		"9745b3d1ae06556fb6aa7890bebc18fe6b3db4da3d57aa94842b9803a96e07fb", "6de71860f762ebfbd08284e4",
		"27c2959ed4daea3b1f52e849478de376", "307a38a5a6cf231c0a9af3b527f23a62e9a6ff09aff8ae669f760153e864fc93",
		"c4fa5e5b713853703bcf8e6424505fa5",
		"b3080d28f6ebb5d3648ce97bd5ba67fd", "b3080d28f6ebb5d3648ce97bd5ba67fd",
		"793576dfa5c0f88729a7ed3c2f1bffb3080d28f6ebb5d3648ce97bd5ba67fd"},
	{"C.2", "b202b370ef9768ec6561c4fe6b7e7296fa85", "9c2159058b1f0fe91433a5bdc20e214eab7fecef4454a10ef0657df21ac7",
		"b18853f68d833640e42a3c02c25b64869e146d7b233987bddfc240871d7576f7", "028ec6eb5ea7e298342a94d4",
		"670b98154076ddb59b7a9137d0dcc0f0", "78116d78507fbe69d4a820c350f55c7cb36c3c9287df0e9614b142b76a587c3f",
		"4e4108f09f41d797dc9256f8da8d58c7",
		"454fc2a154fea91f8363a39fec7d0a49", "454fc2a154fea91f8363a39fec7d0ac9",
		"857e16a64915a787637687db4a9519635cdd454fc2a154fea91f8363a39fec7d0a49"},
	{"C.2", "ced532ce4159b035277d4dfbb7db62968b13cd4eec",
		"734320ccc9d9bbbb19cb81b2af4ecbc3e72834321f7aa0f70b7282b4f33df23f167541",
		"3c535de192eaed3822a2fbbe2ca9dfc88255e14a661b8aa82cc54236093bbc23", "688089e55540db1872504e1c",
		"cb8c3aa3f8dbaeb4b28a3e86ff6625f8", "02426ce1aa3ab31313b0848469a1b5fc6c9af9602600b195b04ad407026bc06d",
		"ffd503c7dd712eb3791b7114b17bb0cf",
		"9d6c7029675b89eaf4ba1ded1a286594", "9d6c7029675b89eaf4ba1ded1a286594",
		"626660c26ea6612fb17ad91e8e767639edd6c9faee9d6c7029675b89eaf4ba1ded1a286594"},

	// RFC 8452 Appendix C.3, counter wrap tests (AEAD_AES_256_GCM_SIV):
	// the initial counter's first four bytes are ffffffff, so the second
	// block's counter wraps to 00000000.
	{"C.3", rfcZero16 + "4db923dc793ee6497c76dcc03a98e108", "", rfcZero32, rfcZeroNonce,
		"dc95c078a24089895275f3d86b4fb868", "779b38d15bffb63d39d6e9ae76a9b2f375d11b0e3a68c422845c7d4690fa594f",
		"7367cdb411b730128dd56e8edc0eff56",
		"ffffffff000000000000000000000000", "ffffffff000000000000000000000080",
		"f3f80f2cf0cb2dd9c5984fcda908456cc537703b5ba70324a6793a7bf218d3ea" +
			"ffffffff000000000000000000000000"},
	{"C.3", "eb3640277c7ffd1303c7a542d02d3e4c0000000000000000", "", rfcZero32, rfcZeroNonce,
		"dc95c078a24089895275f3d86b4fb868", "779b38d15bffb63d39d6e9ae76a9b2f375d11b0e3a68c422845c7d4690fa594f",
		"7367cdb411b730128dd56e8edc0eff56",
		"ffffffff000000000000000000000000", "ffffffff000000000000000000000080",
		"18ce4f0b8cb4d0cac65fea8f79257b20888e53e72299e56dffffffff00000000" +
			"0000000000000000"},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// TestRFC8452Vectors checks every vector of RFC 8452 Appendix C: the two
// derived keys, the POLYVAL result, the tag, the initial counter block,
// the sealed result, and Open of the result (and its failure with the
// last byte of the tag changed).
func TestRFC8452Vectors(t *testing.T) {
	count := map[string]int{}
	for i, v := range rfc8452Vectors {
		count[v.section]++
		key, nonce := unhex(t, v.key), unhex(t, v.nonce)
		pt, aad := unhex(t, v.plaintext), unhex(t, v.aad)
		result, tag := unhex(t, v.result), unhex(t, v.tag)
		if len(result) != len(pt)+TagSize || !bytes.Equal(result[len(pt):], tag) {
			t.Fatalf("vector %d (%s): transcription: result is not ciphertext || tag", i, v.section)
		}
		c, err := New(key)
		if err != nil {
			t.Fatalf("vector %d (%s): New: %v", i, v.section, err)
		}
		a := c.(*aead)

		var authKey [16]byte
		var encKey [32]byte
		a.deriveKeys(new(blocks), &authKey, &encKey, nonce)
		if got := hex.EncodeToString(authKey[:]); got != v.authKey {
			t.Errorf("vector %d (%s): authentication key %s, want %s", i, v.section, got, v.authKey)
		}
		if got := hex.EncodeToString(encKey[:len(key)]); got != v.encKey {
			t.Errorf("vector %d (%s): encryption key %s, want %s", i, v.section, got, v.encKey)
		}

		var p polyval
		p.init(authKey[:])
		p.updatePadded(aad)
		p.updatePadded(pt)
		var lengths [16]byte
		binary.LittleEndian.PutUint64(lengths[:8], uint64(len(aad))*8)
		binary.LittleEndian.PutUint64(lengths[8:], uint64(len(pt))*8)
		p.update(lengths[:])
		var s [16]byte
		p.sum(s[:])
		if got := hex.EncodeToString(s[:]); got != v.polyval {
			t.Errorf("vector %d (%s): POLYVAL %s, want %s", i, v.section, got, v.polyval)
		}

		counter := append([]byte(nil), tag...)
		counter[15] |= 0x80
		if got := hex.EncodeToString(counter); got != v.initialCtr {
			t.Errorf("vector %d (%s): initial counter %s, want %s", i, v.section, got, v.initialCtr)
		}

		if got := c.Seal(nil, nonce, pt, aad); !bytes.Equal(got, result) {
			t.Errorf("vector %d (%s): Seal = %x, want %x", i, v.section, got, result)
		}
		if got, err := c.Open(nil, nonce, result, aad); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("vector %d (%s): Open = %x, %v; want %x", i, v.section, got, err, pt)
		}
		bad := append([]byte(nil), result...)
		bad[len(bad)-1] ^= 1
		if _, err := c.Open(nil, nonce, bad, aad); err != ErrOpen {
			t.Errorf("vector %d (%s): Open of a modified tag: %v, want ErrOpen", i, v.section, err)
		}
	}
	want := map[string]int{"C.1": 24, "C.2": 24, "C.3": 2}
	for s, n := range want {
		if count[s] != n {
			t.Errorf("section %s: %d vectors, want %d", s, count[s], n)
		}
	}
	t.Logf("RFC 8452 Appendix C: %d vectors (C.1 %d, C.2 %d, C.3 %d)",
		len(rfc8452Vectors), count["C.1"], count["C.2"], count["C.3"])
}
