package cause

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

func TestCatalogueCoversAll(t *testing.T) {
	cat := Catalogue()
	if len(cat) != len(All) {
		t.Fatalf("Catalogue() has %d entries, All has %d ids", len(cat), len(All))
	}
	for i, id := range All {
		if cat[i].ID != id {
			t.Errorf("Catalogue()[%d].ID = %q, want %q (catalogue must follow the order of All)", i, cat[i].ID, id)
		}
		info, ok := Lookup(id)
		if !ok {
			t.Errorf("Lookup(%q) found nothing", id)
			continue
		}
		if info.ID != id {
			t.Errorf("Lookup(%q).ID = %q", id, info.ID)
		}
	}
}

func TestNoDuplicates(t *testing.T) {
	seenID := map[ID]bool{}
	seenTitle := map[string]ID{}
	for _, info := range Catalogue() {
		if seenID[info.ID] {
			t.Errorf("duplicate catalogue entry for %q", info.ID)
		}
		seenID[info.ID] = true
		for _, title := range []string{info.Title.EN, info.Title.JA} {
			if other, dup := seenTitle[title]; dup {
				t.Errorf("%q and %q share the title %q", other, info.ID, title)
			}
			seenTitle[title] = info.ID
		}
		links := map[string]bool{}
		for _, l := range info.Links {
			if links[l] {
				t.Errorf("%q lists link %s twice", info.ID, l)
			}
			links[l] = true
		}
	}
	ids := map[ID]bool{}
	for _, id := range All {
		if ids[id] {
			t.Errorf("All lists %q twice", id)
		}
		ids[id] = true
	}
}

func TestEntriesComplete(t *testing.T) {
	for _, info := range Catalogue() {
		t.Run(string(info.ID), func(t *testing.T) {
			texts := map[string]Text{"Title": info.Title, "Explanation": info.Explanation, "Remediation": info.Remediation}
			for i, w := range info.WhatToCheck {
				texts["WhatToCheck["+string(rune('0'+i))+"]"] = w
			}
			for name, txt := range texts {
				if strings.TrimSpace(txt.EN) == "" {
					t.Errorf("%s.EN is empty", name)
				}
				if strings.TrimSpace(txt.JA) == "" {
					t.Errorf("%s.JA is empty", name)
				}
				if txt.JA != "" && !hasJapanese(txt.JA) {
					t.Errorf("%s.JA has no Japanese characters: %q", name, txt.JA)
				}
				if hasJapanese(txt.EN) {
					t.Errorf("%s.EN contains Japanese characters: %q", name, txt.EN)
				}
				if txt.EN == txt.JA {
					t.Errorf("%s: EN and JA are identical", name)
				}
				if strings.Contains(txt.EN, "{{") || strings.Contains(txt.JA, "{{") {
					t.Errorf("%s: remediation and texts must be template-free", name)
				}
			}
			if len(info.WhatToCheck) == 0 {
				t.Error("WhatToCheck is empty")
			}
			if len(info.Links) == 0 {
				t.Error("no links")
			}
			for _, l := range info.Links {
				u, err := url.Parse(l)
				if err != nil || u.Scheme != "https" || u.Host == "" {
					t.Errorf("link %q is not an absolute https URL", l)
				}
			}
			if info.SeedSection < 0 || info.SeedSection > 6 {
				t.Errorf("SeedSection = %d, the seed has sections 1-6", info.SeedSection)
			}
		})
	}
}

// The seed sections DESIGN.md §5 assigns to each cause.
func TestSeedSections(t *testing.T) {
	want := map[ID]int{
		ExecRoleMissing: 1, ExecRolePermissions: 1, ImageNotFound: 2, RepositoryPolicy: 4,
		NetworkNoRoute: 3, PublicIPMissing: 6, VPCEndpointConfig: 3, S3LayerAccess: 3,
		RegistryRateLimit: 5, RegistryAuth: 5,
	}
	for _, info := range Catalogue() {
		if got := info.SeedSection; got != want[info.ID] {
			t.Errorf("%s: SeedSection = %d, want %d", info.ID, got, want[info.ID])
		}
	}
}

// Facts the brief requires the catalogue to state; a rewrite that drops one
// of them should fail loudly.
func TestKeyFacts(t *testing.T) {
	facts := map[ID][]string{
		ExecRoleMissing:     {"container instance role", "repositoryCredentials"},
		ExecRolePermissions: {"ecr:GetAuthorizationToken", `Resource "*"`, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
		ExecRoleTrust:       {"ecs-tasks.amazonaws.com"},
		VPCEndpointConfig:   {"1.4.0", "com.amazonaws.REGION.ecr.api", "com.amazonaws.REGION.ecr.dkr", "com.amazonaws.REGION.logs", "S3 gateway"},
		S3LayerAccess:       {"prod-REGION-starport-layer-bucket", "com.amazonaws.REGION.s3"},
		PublicIPMissing:     {"assignPublicIp=DISABLED"},
		RegistryRateLimit:   {"toomanyrequests", "repositoryCredentials", `{"username"`, `"password"`, "pull through cache"},
	}
	for id, want := range facts {
		info := MustLookup(id)
		all := info.Title.EN + " " + info.Explanation.EN + " " + info.Remediation.EN
		for _, w := range info.WhatToCheck {
			all += " " + w.EN
		}
		for _, f := range want {
			if !strings.Contains(all, f) {
				t.Errorf("%s: English text does not mention %q", id, f)
			}
		}
	}
	if !strings.Contains(MustLookup(PublicIPMissing).Remediation.EN, "ENABLED") {
		t.Error("public-ip-missing remediation must say assignPublicIp ENABLED")
	}
}

func TestLookupUnknownID(t *testing.T) {
	if _, ok := Lookup("no-such-cause"); ok {
		t.Error(`Lookup("no-such-cause") ok = true`)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustLookup of an unknown id did not panic")
		}
	}()
	MustLookup("no-such-cause")
}

func TestLookupReturnsCopies(t *testing.T) {
	a := MustLookup(ExecRolePermissions)
	a.Links[0] = "changed"
	a.WhatToCheck[0].EN = "changed"
	b := MustLookup(ExecRolePermissions)
	if b.Links[0] == "changed" || b.WhatToCheck[0].EN == "changed" {
		t.Error("modifying a looked-up Info changed the catalogue")
	}
	c := Catalogue()
	c[0].Links[0] = "changed"
	if Catalogue()[0].Links[0] == "changed" {
		t.Error("modifying Catalogue() changed the catalogue")
	}
}

func TestTextIn(t *testing.T) {
	full := Text{EN: "hello", JA: "こんにちは"}
	enOnly := Text{EN: "hello"}
	tests := []struct {
		t    Text
		lang string
		want string
	}{
		{full, "ja", "こんにちは"},
		{full, "ja-JP", "こんにちは"},
		{full, "ja_JP.UTF-8", "こんにちは"},
		{full, "JA", "こんにちは"},
		{full, "en", "hello"},
		{full, "", "hello"},
		{full, "jav", "hello"},
		{full, "fr", "hello"},
		{enOnly, "ja", "hello"},
	}
	for _, tt := range tests {
		if got := tt.t.In(tt.lang); got != tt.want {
			t.Errorf("%+v.In(%q) = %q, want %q", tt.t, tt.lang, got, tt.want)
		}
	}
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}
