package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A small generator of 纪检监察 records for the load benchmark
// (loadbench_test.go): titles, bodies and persons drawn from fixed
// vocabularies with a fixed seed, so that every run seeds the same
// archive and the searches find something.

var (
	loadSurnames = []string{"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	loadGiven    = []string{"建国", "海燕", "志明", "秀英", "德胜", "晓东", "丽娟", "国强", "文静", "红梅", "振华", "春生", "玉兰", "伟", "敏", "磊", "强", "军", "洁", "涛"}
	loadDepts    = []string{"预算处", "国库处", "采购办", "基建处", "财务处", "人事处", "办公室", "审计处", "资产管理处", "科技处"}
	loadProblems = []string{
		"违反“三重一大”决策制度，未经集体研究确定专项资金分配方案",
		"接受管理服务对象安排的宴请，违反中央八项规定精神",
		"违规收送礼品礼金，金额累计3.5万元",
		"在政府采购项目中为特定关系人谋取利益",
		"违规发放津贴补贴，涉及资金12万元",
		"公车私用，在节假日驾驶公务用车办理私事",
		"在干部选拔任用工作中违反组织程序",
		"利用职务便利为亲属经营活动提供帮助",
		"违规兼职取酬，未按规定报告个人有关事项",
		"对巡视巡察反馈问题整改不力，敷衍应付",
		"落实党风廉政建设主体责任不到位",
		"在工程项目招投标中违规干预",
	}
	loadActions = []string{
		"经初步核实，反映问题部分属实，拟予以谈话提醒。",
		"经谈话函询，本人如实说明问题，拟予以了结澄清。",
		"问题线索具有可查性，拟按程序转初步核实。",
		"本人已在15个工作日内作出书面说明，并退缴违规所得。",
		"责令其作出深刻检查，并在民主生活会上作出说明。",
		"依据《中国共产党纪律处分条例》第一百零二条，拟给予党内警告处分。",
	}
	loadKinds = []string{"谈话方案", "函询报告", "情况说明", "初核报告", "处置意见", "谈话记录"}
)

// loadQueries are what the search clients type: bare terms, names,
// quoted phrases, digits beside Han, and two-term queries.
var loadQueries = []string{
	"三重一大", "八项规定", "专项资金", "礼品礼金", "政府采购", "谈话提醒", "党风廉政建设",
	`"中央八项规定精神"`, "预算处", "初步核实", "巡视巡察", "15个工作日", "3.5万元",
	"张建国", "王海燕", "违规兼职", "招投标 干预", "津贴补贴", "公车私用", "民主生活会",
}

// loadRecord is one generated record.
type loadRecord struct {
	title, kind, caseNo, body string
	persons                   []string
}

func loadPerson(r *rand.Rand) string {
	return loadSurnames[r.IntN(len(loadSurnames))] + loadGiven[r.IntN(len(loadGiven))]
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// genLoadRecord builds record i (deterministic in i).
func genLoadRecord(i int) loadRecord {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	person := loadPerson(r)
	dept := pick(r, loadDepts)
	kind := pick(r, loadKinds)
	var b strings.Builder
	fmt.Fprintf(&b, "关于%s同志（省财政厅%s）有关问题的%s\n", person, dept, kind)
	fmt.Fprintf(&b, "线索编号XS-%d-%04d，来源为信访举报。", 2019+i%8, i%10000)
	for k := 0; k < 3+r.IntN(4); k++ {
		fmt.Fprintf(&b, "反映%s同志%d年在任%s负责人期间，%s。", person, 2019+r.IntN(8), dept, pick(r, loadProblems))
	}
	b.WriteString(pick(r, loadActions))
	b.WriteString("承办部门应于30日内报送处置情况，相关材料按规定立卷归档。")
	return loadRecord{
		title:   fmt.Sprintf("关于%s同志有关问题的%s", person, kind),
		kind:    kind,
		caseNo:  fmt.Sprintf("AJ-%d-%03d", 2019+i%8, i%1000),
		body:    b.String(),
		persons: []string{person},
	}
}

// loadDraftFields are the talk-plan fields of draft n of a filer: the
// template's example with the person, clue and issues varied.
func loadDraftFields(example map[string]any, filer, n int) map[string]any {
	r := rand.New(rand.NewPCG(uint64(filer)<<32|uint64(n), 7))
	f := make(map[string]any, len(example))
	for k, v := range example {
		f[k] = v
	}
	person := map[string]any{}
	if p, ok := example["person"].(map[string]any); ok {
		for k, v := range p {
			person[k] = v
		}
	}
	person["name"] = loadPerson(r)
	person["unit"] = "省财政厅" + pick(r, loadDepts)
	f["person"] = person
	f["clue_no"] = fmt.Sprintf("XS-2026-%d-%04d", filer, n%10000)
	f["issues"] = []any{pick(r, loadProblems), pick(r, loadProblems)}
	return f
}
