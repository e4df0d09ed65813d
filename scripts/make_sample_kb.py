"""Regenerate the binary samples in kb/ (docx, pdf, xlsx, GBK txt/csv). Text is our own writing.

Run: .venv/bin/python scripts/make_sample_kb.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import openpyxl
from openpyxl.styles import Alignment, Font
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

KB = Path(__file__).resolve().parent.parent / "kb"

PLAN_2026 = """2026年全市经信工作思路（示例）

发布日期：2026-02-05
（示例文件：据公开报道整理改写，仅供演示知识库问答。）

2026年，我们将继续完善“3+3+3”产业体系，全年重点抓好下面七件事。

一、推动工业稳进提质
按月监测工业经济运行，对当年新增产值在5000万元以上的企业逐一上门服务，并动态维护拟升规企业培育库。

二、加快项目攻坚推进
梳理本年度拟投资项目，形成重大项目清单；用数字化系统跟踪项目全周期，对进度滞后的项目及时预警协调。

三、壮大人工智能产业
以省级AI创新先导区为依托，建设润泽三期和相应配套，争取国产算力万卡集群尽快落地，并开展“人工智能+”行动。

四、提升产业集群能级
加快福达、千顺等投资十亿元级的项目，抓紧赛本达项目建设，让C3产业链向精细化工延伸。

五、强化企业梯队培育
按创新型、专精特新中小企业、“小巨人”、单项冠军这四级梯队扩大培育库，入库企业按“一企一档”辅导，重点帮营收过亿元的腰部企业做大。

六、深化“两化”改造
培育一批4.0标杆企业，深化服务型制造，引导重点用能企业改进生产工艺。

七、提升助企服务效能
向上争取国债和再贷款等专项资金支持，搭好产业链上下游对接平台，并修订工业发展资金政策。
"""

POLICY_PARAGRAPHS: list[tuple[str, str]] = [
    ("Title", "平湖市促进人工智能产业发展若干措施（示例）"),
    ("Normal", "（示例文件：本文件为演示知识库问答而编写，不是正式政策文件。）"),
    ("Normal", "印发日期：2026年2月10日"),
    ("Heading 1", "第一章 总则"),
    ("Normal", "第一条 为加快人工智能产业发展，培育新质生产力，结合本市实际，制定本措施。"),
    ("Normal", "第二条 本措施适用于在本市依法登记、从事人工智能软硬件研发、算力服务和行业应用的企业。"),
    ("Heading 1", "第二章 支持措施"),
    ("Normal", "第三条 对新认定的省级人工智能应用场景，给予项目所属企业一次性奖励50万元。"),
    ("Normal", "第四条 对年度算力采购额超过200万元的中小企业，按采购额的20%给予补助，单个企业每年最高100万元。"),
    ("Normal", "第五条 对入选国家级专精特新“小巨人”的人工智能企业，给予一次性奖励100万元。"),
    ("Heading 1", "第三章 附则"),
    ("Normal", "第六条 本措施由市经信局负责解释。"),
    ("Normal", "第七条 本措施自2026年3月1日起施行，有效期3年。"),
]

NOTICE_PAGES = [
    [
        "关于开展2026年“两化”改造项目申报的通知（示例）",
        "发布日期：2026年3月2日",
        "（示例文件，非正式通知。）",
        "各镇街道、各有关企业：",
        "为推进数字化改造和智能化提升，现组织开展2026年",
        "“两化”改造项目申报工作。",
        "一、申报条件",
        "申报企业须为本市规上工业企业，项目设备投资额不低于",
        "300万元，并于2026年内开工建设。",
    ],
    [
        "二、申报时间",
        "申报截止日期为2026年4月30日，逾期不予受理。",
        "三、联系方式",
        "市经信局技术改造科，联系电话：0573-00000000（示例）。",
    ],
]


def write_plan() -> None:
    (KB / "articles" / "2026年全市经信工作思路.txt").write_bytes(PLAN_2026.encode("gb18030"))


def write_policy() -> None:
    document = docx.Document()
    for style, text in POLICY_PARAGRAPHS:
        document.add_paragraph(text, style=style)
    document.add_paragraph("附表 支持标准汇总", style="Heading 2")
    table = document.add_table(rows=4, cols=3)
    rows = [
        ("支持事项", "奖励或补助（万元）", "依据条款"),
        ("省级人工智能应用场景", "50", "第三条"),
        ("算力采购补助上限", "100", "第四条"),
        ("国家级小巨人人工智能企业", "100", "第五条"),
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.core_properties.title = "平湖市促进人工智能产业发展若干措施（示例）"
    document.save(KB / "policies" / "平湖市促进人工智能产业发展若干措施（示例）.docx")


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A real PDF with Chinese text (reportlab's built-in STSong-Light CID font: nothing to download)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.setFont("STSong-Light", 12)
            pdf.drawString(60, y, line)
            y -= 24
        pdf.showPage()
    pdf.save()
    return path


def write_notice_pdf() -> None:
    write_pdf(KB / "policies" / "关于开展2026年两化改造项目申报的通知（示例）.pdf", NOTICE_PAGES)


def write_indicators() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "产业集群"
    sheet.append(["2025年平湖市重点产业与集群主要指标（示例表，数据取自公开报道）"])
    sheet.merge_cells("A1:D1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["单位：亿元，%"])
    sheet.merge_cells("A2:D2")
    sheet.append(["产业或集群", "规上营收（亿元）", "营收增速", "1—11月营收增速"])
    sheet.append(["人工智能产业", 143.79, 45.30, None])
    sheet.append(["机器人与数控机床产业集群", None, None, 28.1])
    sheet.append(["绿色石化产业集群", None, None, 18.1])
    for row in sheet.iter_rows(min_row=4, min_col=2, max_col=4):
        for cell in row:
            cell.number_format = "0.00" if cell.column == 2 or (cell.column == 3) else "0.0"
    total = book.create_sheet("工业总量")
    total.append(["2025年规上工业主要指标（示例表，数据取自公开报道）"])
    total.merge_cells("A1:C1")
    total.append(["单位：亿元，%"])
    total.merge_cells("A2:C2")
    total.append(["指标", "2025年", "增速"])
    total.append(["规上工业产值", 1923.3, 7.2])
    total.append(["规上工业增加值", 358.6, 7.5])
    total.append(["规上工业企业数（家）", 838, None])
    book.save(KB / "indicators" / "2025年重点产业指标.xlsx")


SECTOR_ROWS: list[tuple[str, float, float, float, int, str]] = [
    ("石化新材料", 412.6, 16.8, 21.5, 58, "第一"),
    ("数字经济核心制造业", 305.2, 14.7, 15.9, 97, "第三"),
    ("汽车零部件", 276.3, 9.4, 14.4, 121, "第二"),
    ("光机电", 231.8, 6.2, 12.1, 143, "第四"),
    ("纺织服装箱包", 168.9, -3.1, 8.8, 186, "第五"),
    ("生物医药", 52.4, 11.3, 2.7, 19, "第六"),
]


def write_sectors(kb: Path = KB) -> Path:
    """The sub-sector sheet: one row per sector, five indicators with the unit in each header, so that a
    question names a sector and an indicator and the answer is one cell (demo figures, not published ones)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "细分行业"
    sheet.append(["2025年平湖市细分行业工业主要指标（示例表，演示用数据）"])
    sheet.merge_cells("A1:F1")
    sheet.append(["单位：亿元，%，家"])
    sheet.merge_cells("A2:F2")
    sheet.append(["行业", "规上工业产值（亿元）", "产值增速（%）", "占全市规上工业产值比重（%）", "规上企业数（家）", "产值嘉兴排名"])
    for row in SECTOR_ROWS:
        sheet.append(list(row))
    path = kb / "indicators" / "2025年细分行业指标.xlsx"
    book.save(path)
    return path


def write_training_csv() -> None:
    rows = [
        ["2025年企业梯度培育指标（示例表，数据取自公开报道）"],
        ["指标", "2025年新增", "单位", "嘉兴排名"],
        ["国家级重点“小巨人”企业", "3", "家", "第一"],
        ["国家级“小巨人”企业", "4", "家", ""],
        ["省级专精特新中小企业", "17", "家", "第二"],
        ["省首台（套）装备入选企业", "5", "家", "第一"],
        ["“两化”改造新开工项目", "356", "项", ""],
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    (KB / "indicators" / "2025年企业梯度培育指标.csv").write_bytes(buf.getvalue().encode("gb18030"))


if __name__ == "__main__":
    write_plan()
    write_policy()
    write_notice_pdf()
    write_indicators()
    write_sectors()
    write_training_csv()
    print("kb/ samples written")
